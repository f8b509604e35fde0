//! `formats::append_shortest` (zmij, the formatter the JSON writers use) writes exactly
//! the bytes Ryu wrote before it, so that no JSON or JSON Lines file changes: ten
//! million random bit patterns (every exponent), ten million values shaped like
//! dpa's own (`lo + (hi - lo) * u` with `u` a 53-bit fraction), every power of two,
//! the subnormal range, the layout thresholds around 1e-7 and 1e16, and the
//! neighbours of each.

use dpa::formats::append_shortest;

/// SplitMix64: a fixed sequence, so a failure names a value that can be replayed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Compares one value; returns its text for the caller's count of mismatches.
fn check(x: f64, ours: &mut Vec<u8>, ryu: &mut ryu::Buffer) -> bool {
    ours.clear();
    append_shortest(x, ours);
    let expected = ryu.format(x).as_bytes();
    if ours.as_slice() != expected {
        eprintln!(
            "{:#018x}: ryu {:?}, ours {:?}",
            x.to_bits(),
            String::from_utf8_lossy(expected),
            String::from_utf8_lossy(ours)
        );
        return false;
    }
    true
}

fn check_all(values: impl Iterator<Item = f64>) -> (u64, u64) {
    let (mut ours, mut ryu) = (Vec::new(), ryu::Buffer::new());
    let (mut checked, mut failed) = (0, 0);
    for x in values {
        checked += 1;
        if !check(x, &mut ours, &mut ryu) {
            failed += 1;
        }
    }
    (checked, failed)
}

/// `x`, its two neighbours, and the same for `-x`.
fn with_neighbours(x: f64) -> impl Iterator<Item = f64> {
    let bits = x.to_bits();
    [bits.wrapping_sub(1), bits, bits.wrapping_add(1)]
        .into_iter()
        .flat_map(|b| [b, b ^ (1 << 63)])
        .map(f64::from_bits)
}

#[test]
fn random_bit_patterns_match_ryu() {
    let mut rng = SplitMix(0x5EED_0001);
    let (checked, failed) = check_all((0..10_000_000).map(|_| f64::from_bits(rng.next())));
    assert_eq!((checked, failed), (10_000_000, 0));
}

#[test]
fn values_shaped_like_dpa_parameters_match_ryu() {
    let mut rng = SplitMix(0x5EED_0002);
    let bounds = [
        (-30.0, 30.0),
        (0.8, 1.2),
        (0.0, 0.1),
        (0.5, 2.0),
        (-1e20, 1e20),
    ];
    let values = (0..10_000_000).map(|i| {
        let (lo, hi): (f64, f64) = bounds[i % bounds.len()];
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    });
    let (checked, failed) = check_all(values);
    assert_eq!((checked, failed), (10_000_000, 0));
}

#[test]
fn boundaries_match_ryu() {
    let mut special = vec![0.0, f64::MIN_POSITIVE, f64::MAX, f64::EPSILON, 5e-324];
    // Every power of two, normal and subnormal.
    special.extend((-1074..=1023).map(|e| 2f64.powi(e)));
    // Every power of ten a double holds (the layout switches at 1e-7 and 1e16), and
    // the values just below them (9.999…).
    for e in -323..=308 {
        let p: f64 = format!("1e{e}").parse().unwrap();
        special.push(p);
        special.push(p * 9.999_999_999_999_999);
        special.push(p * 1.5);
    }
    // Subnormals: the smallest hundred thousand and the largest thousand.
    special.extend((1..100_000u64).map(f64::from_bits));
    special.extend(((1u64 << 52) - 1000..(1u64 << 52)).map(f64::from_bits));
    let (checked, failed) = check_all(special.into_iter().flat_map(with_neighbours));
    assert!(checked > 600_000, "{checked}");
    assert_eq!(failed, 0);
}

#[test]
fn non_finite_values_are_written_as_ryu_writes_them() {
    let (checked, failed) = check_all([f64::NAN, f64::INFINITY, f64::NEG_INFINITY].into_iter());
    assert_eq!((checked, failed), (3, 0));
}
