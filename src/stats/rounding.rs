//! Exact rationals to correctly rounded doubles: the last step of the statistics.
//!
//! Every function returns the double nearest to the exact value, ties to even, as
//! CPython's `int / int` (and so `float(Fraction)`) does; subnormal results are rounded
//! once, at their own precision.

use num_bigint::{BigInt, BigUint, Sign};

/// Bits the scaled quotients keep before rounding to 53: two guard bits and more.
const GUARD_BITS: u64 = 56;

/// The double nearest to `(m + δ) · 2^e`, where `0 <= δ < 1` and `δ > 0` exactly when
/// `sticky`; `m` must have more than 53 bits whenever `sticky` is set or `e > -1074`
/// (the callers scale it so).
fn round_scaled(m: &BigUint, sticky: bool, e: i64) -> f64 {
    let bits = m.bits() as i64;
    if bits == 0 {
        return 0.0;
    }
    // The weight of the last bit the result keeps: 53 bits, or fewer when subnormal.
    let lowest = (bits + e - 53).max(-1074);
    let shift = lowest - e;
    if shift <= 0 {
        // Exact: m has at most 53 bits.
        return times_pow2(to_f64_exact(m), e);
    }
    let shift = shift as u64;
    let kept = m >> shift;
    let half = m.bit(shift - 1);
    let below = sticky || m.trailing_zeros().is_some_and(|z| z < shift - 1);
    let mut q = to_u64(&kept);
    if half && (below || q & 1 == 1) {
        q += 1;
    }
    times_pow2(q as f64, lowest)
}

/// `m` (at most 53 bits) as a double.
fn to_f64_exact(m: &BigUint) -> f64 {
    to_u64(m) as f64
}

/// The low 64 bits of `m` (callers pass values below 2^54).
fn to_u64(m: &BigUint) -> u64 {
    m.iter_u64_digits().next().unwrap_or(0)
}

/// `x · 2^k` for an `x` whose result is exactly representable (or overflows): each
/// step multiplies by a normal power of two and stays exact.
fn times_pow2(mut x: f64, mut k: i64) -> f64 {
    while k > 1023 {
        x *= pow2(1023);
        k -= 1023;
    }
    while k < -1022 {
        x *= pow2(-1022);
        k += 1022;
    }
    x * pow2(k)
}

/// `2^k` for `-1022 <= k <= 1023`.
fn pow2(k: i64) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// The double nearest to `num / den · 2^e` (`den > 0`).
pub(crate) fn ratio_to_f64(num: &BigInt, den: u64, e: i64) -> f64 {
    let (sign, magnitude) = (num.sign(), num.magnitude());
    if magnitude.bits() == 0 || den == 0 {
        return 0.0;
    }
    let den_bits = 64 - u64::from(den.leading_zeros());
    let s = (GUARD_BITS + den_bits).saturating_sub(magnitude.bits());
    let scaled = magnitude << s;
    let den = BigUint::from(den);
    let (q, r) = (&scaled / &den, &scaled % &den);
    let value = round_scaled(&q, r.bits() != 0, e - s as i64);
    if sign == Sign::Minus {
        -value
    } else {
        value
    }
}

/// The double nearest to `sqrt(num / den) · 2^e` (`num >= 0`, `den > 0`, `e` any).
pub(crate) fn sqrt_ratio_to_f64(num: &BigUint, den: u128, e: i64) -> f64 {
    if num.bits() == 0 || den == 0 {
        return 0.0;
    }
    let den_bits = 128 - u64::from(den.leading_zeros());
    // X = num · 4^s / den has at least 2·GUARD_BITS bits, so sqrt(X) at least GUARD_BITS.
    let s = (2 * GUARD_BITS + den_bits)
        .saturating_sub(num.bits())
        .div_ceil(2);
    let scaled = num << (2 * s);
    let den = BigUint::from(den);
    let (x, r) = (&scaled / &den, &scaled % &den);
    let root = x.sqrt();
    let sticky = r.bits() != 0 || &root * &root != x;
    round_scaled(&root, sticky, e - s as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(num: i64, den: u64, e: i64) -> f64 {
        ratio_to_f64(&BigInt::from(num), den, e)
    }

    #[test]
    fn quotients_round_as_ieee_division_does() {
        for (a, b) in [
            (1i64, 3u64),
            (-2, 3),
            (7, 7),
            (1, 10),
            (123456789, 1000),
            (-5, 2),
        ] {
            assert_eq!(
                ratio(a, b, 0).to_bits(),
                (a as f64 / b as f64).to_bits(),
                "{a}/{b}"
            );
        }
        // Ties to even: 2^53 + 1 is halfway between 2^53 and 2^53 + 2.
        assert_eq!(ratio((1 << 53) + 1, 1, 0), 9007199254740992.0);
        assert_eq!(ratio((1 << 53) + 3, 1, 0), 9007199254740996.0);
    }

    #[test]
    fn subnormals_and_extremes_round_once() {
        assert_eq!(ratio(1, 1, -1074), f64::from_bits(1));
        assert_eq!(
            ratio(1, 2, -1074),
            0.0,
            "half the smallest subnormal ties to 0"
        );
        assert_eq!(
            ratio(3, 2, -1074),
            f64::from_bits(2),
            "1.5 ulp ties to even"
        );
        assert_eq!(ratio(1, 1, 1023), f64::from_bits(0x7fe0_0000_0000_0000));
        assert_eq!(ratio(1, 1, 1024), f64::INFINITY);
        assert_eq!(ratio(0, 5, 0), 0.0);
    }

    #[test]
    fn square_roots_are_correctly_rounded() {
        for (n, d) in [(2u64, 1u128), (1, 3), (9, 4), (10, 1), (1, 1_000_000_007)] {
            let want = (n as f64 / d as f64).sqrt();
            let got = sqrt_ratio_to_f64(&BigUint::from(n), d, 0);
            // f64 sqrt of a correctly rounded quotient can differ in the last bit from
            // the correctly rounded root of the exact quotient; these cases do not.
            assert_eq!(got.to_bits(), want.to_bits(), "sqrt({n}/{d})");
        }
        assert_eq!(
            sqrt_ratio_to_f64(&BigUint::from(4u8), 1, -1074),
            f64::from_bits(2)
        );
        assert_eq!(
            sqrt_ratio_to_f64(&BigUint::from(1u8), 4, -1074),
            0.0,
            "half ulp: to even"
        );
    }
}
