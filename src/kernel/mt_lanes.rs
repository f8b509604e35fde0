//! Python's `random.seed(seed)` followed by five `random()` draws, for `L` seeds side
//! by side.
//!
//! The 1,247 steps of `init_by_array` are serial within one seed but independent across
//! seeds, so each step is done for `L` seeds at once (one SIMD vector of `L` lanes when
//! compiled with AVX2 or AVX-512). The code is plain arrays; the dispatching functions
//! in [`super`] compile it for the best instruction set the CPU has.

use crate::mt::{res53, temper, twist_word, INIT_19650218, M, N};

const MUL1: u32 = 1_664_525;
const MUL2: u32 = 1_566_083_941;

#[inline(always)]
fn mix<const L: usize>(cur: &[u32; L], prev: &[u32; L], mul: u32) -> [u32; L] {
    std::array::from_fn(|j| cur[j] ^ (prev[j] ^ (prev[j] >> 30)).wrapping_mul(mul))
}

/// Seeds `L` generators and returns each one's five uniform draws in `[0, 1)`.
///
/// `scratch` holds the state after the first mixing loop (624 vectors).
#[inline(always)]
pub(crate) fn draw5_lanes<const L: usize>(
    seeds: &[u32; L],
    scratch: &mut [[u32; L]; N],
) -> [[f64; 5]; L] {
    let key = *seeds;
    // First loop of init_by_array (multiplier 1664525, + key), i = 1 ..= 623.
    let mut prev = [INIT_19650218[0]; L];
    for i in 1..N {
        let init = [INIT_19650218[i]; L];
        let mixed = mix(&init, &prev, MUL1);
        let cur: [u32; L] = std::array::from_fn(|j| mixed[j].wrapping_add(key[j]));
        scratch[i] = cur;
        prev = cur;
    }
    // Its 624th step wraps around: mt[0] = mt[623], then i = 1.
    let mixed = mix(&scratch[1], &prev, MUL1);
    let one: [u32; L] = std::array::from_fn(|j| mixed[j].wrapping_add(key[j]));
    // Second loop (multiplier 1566083941, - i), i = 2 ..= 623, then i = 1.
    let mut low = [[0u32; L]; 11];
    let mut high = [[0u32; L]; 10];
    prev = one;
    for i in 2..N {
        let mixed = mix(&scratch[i], &prev, MUL2);
        let cur: [u32; L] = std::array::from_fn(|j| mixed[j].wrapping_sub(i as u32));
        if i <= 10 {
            low[i] = cur;
        } else if (M..M + 10).contains(&i) {
            high[i - M] = cur;
        }
        prev = cur;
    }
    let mixed = mix(&one, &prev, MUL2);
    low[1] = std::array::from_fn(|j| mixed[j].wrapping_sub(1));
    low[0] = [0x8000_0000; L];
    // The first ten outputs of the first twist read mt[k], mt[k+1] and mt[k+397].
    std::array::from_fn(|j| {
        let out: [u32; 10] =
            std::array::from_fn(|k| temper(twist_word(low[k][j], low[k + 1][j], high[k][j])));
        std::array::from_fn(|d| res53(out[2 * d], out[2 * d + 1]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mt::draw_uniform5;

    #[test]
    fn lanes_match_the_scalar_generator() {
        let mut scratch = Box::new([[0u32; 16]; N]);
        let mut seed = 12345u32;
        for _ in 0..50 {
            let seeds: [u32; 16] = std::array::from_fn(|_| {
                seed = seed.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
                seed
            });
            let got = draw5_lanes(&seeds, &mut scratch);
            for (j, s) in seeds.iter().enumerate() {
                assert_eq!(
                    got[j].map(f64::to_bits),
                    draw_uniform5(*s).map(f64::to_bits),
                    "seed {s}"
                );
            }
        }
        let edge = [0, 1, u32::MAX, 0x8000_0000];
        let mut scratch4 = Box::new([[0u32; 4]; N]);
        let got = draw5_lanes(&edge, &mut scratch4);
        for (j, s) in edge.iter().enumerate() {
            assert_eq!(got[j], draw_uniform5(*s));
        }
    }
}
