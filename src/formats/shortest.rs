//! The shortest text that reads back to the same double, as dpa's JSON and JSON Lines
//! write it: Ryu's layout (`0.1`, `30.0`, `1e-7`, `1e16`), computed by the faster
//! Schubfach/yy algorithm of the `zmij` crate.
//!
//! `zmij` writes the same digits and layout as Ryu except for a `+` in a positive
//! exponent (`1e+16`), which is removed here so that files keep their bytes. The
//! equality with Ryu is tested over ten million random doubles, every subnormal
//! boundary and the layout thresholds (`tests/shortest_floats.rs`).

/// Appends the shortest round-trip text of `v` to `out`, byte-identical to
/// `ryu::Buffer::format(v)` (`NaN`, `inf` and `-inf` for the non-finite values, which
/// dpa refuses to write as JSON before they get here).
///
/// # Examples
///
/// ```
/// use dpa::formats::append_shortest;
/// let text = |x: f64| { let mut s = Vec::new(); append_shortest(x, &mut s); String::from_utf8(s).unwrap() };
/// assert_eq!(text(0.1), "0.1");
/// assert_eq!(text(-30.0), "-30.0");
/// assert_eq!(text(1e-7), "1e-7");
/// assert_eq!(text(1e16), "1e16");
/// assert_eq!(text(1234567890123456.0), "1234567890123456.0");
/// assert_eq!(text(5e-324), "5e-324");
/// ```
#[inline]
pub fn append_shortest(v: f64, out: &mut Vec<u8>) {
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format(v).as_bytes();
    // Only a magnitude of at least 1e16 is written with a positive exponent.
    if v.abs() < 1e15 {
        out.extend_from_slice(text);
    } else {
        out.extend(text.iter().copied().filter(|&b| b != b'+'));
    }
}
