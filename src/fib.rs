//! Exact Fibonacci numbers in decimal, for any index.
//!
//! fib(94) no longer fits in a `u64`, and the reference hashes `str(fib(i))` with
//! Python's unbounded integers, so dpa adds big numbers held as base-10^18 limbs.

/// One limb holds 18 decimal digits.
const LIMB: u64 = 1_000_000_000_000_000_000;

/// The decimal strings of `fib(0) .. fib(n)` (`n` numbers), with `fib(0) = 0, fib(1) = 1`.
///
/// # Examples
///
/// ```
/// let f = dpa::fib::fibonacci_decimal(8);
/// assert_eq!(f, ["0", "1", "1", "2", "3", "5", "8", "13"]);
/// let big = dpa::fib::fibonacci_decimal(101);
/// assert_eq!(big[100], "354224848179261915075");
/// ```
pub fn fibonacci_decimal(n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut a: Vec<u64> = vec![0];
    let mut b: Vec<u64> = vec![1];
    for _ in 0..n {
        out.push(to_decimal(&a));
        let c = add(&a, &b);
        a = std::mem::replace(&mut b, c);
    }
    out
}

fn add(a: &[u64], b: &[u64]) -> Vec<u64> {
    let len = a.len().max(b.len());
    let mut out = Vec::with_capacity(len + 1);
    let mut carry = 0;
    for i in 0..len {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        carry = u64::from(s >= LIMB);
        out.push(s - carry * LIMB);
    }
    if carry > 0 {
        out.push(carry);
    }
    out
}

fn to_decimal(limbs: &[u64]) -> String {
    let mut s = String::with_capacity(limbs.len() * 18);
    let mut iter = limbs.iter().rev();
    if let Some(top) = iter.next() {
        s.push_str(&top.to_string());
    }
    for limb in iter {
        s.push_str(&format!("{limb:018}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_u64_recurrence_where_it_fits() {
        let f = fibonacci_decimal(94);
        let (mut a, mut b) = (0u64, 1u64);
        for s in &f {
            assert_eq!(s, &a.to_string());
            let c = a.checked_add(b);
            a = b;
            b = c.unwrap_or(0);
        }
    }

    #[test]
    fn crosses_limb_boundaries_exactly() {
        // fib(94) = 19740274219868223167 (> u64::MAX), fib(200) has 42 digits.
        let f = fibonacci_decimal(201);
        assert_eq!(f[94], "19740274219868223167");
        assert_eq!(f[200], "280571172992510140037611932413038677189525");
        // The defining recurrence holds in decimal over the whole table.
        for i in 2..f.len() {
            let a: u128 = f[i - 2].parse().unwrap_or(0);
            let b: u128 = f[i - 1].parse().unwrap_or(0);
            if let (true, Ok(c)) = (a > 0, f[i].parse::<u128>()) {
                assert_eq!(a + b, c, "fib({i})");
            }
        }
    }
}
