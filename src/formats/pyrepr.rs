//! Python's `repr` of a float, which `json.dump` writes: the shortest digits that read
//! back to the same double (as `zmij`'s Schubfach finds them, the digits Ryu finds), laid out by CPython's rules —
//! positional while the decimal exponent is in `-4 <= e < 16` (`0.0001`, `1e+16`
//! otherwise, `1e-05`), always with a `.0` or a fraction when positional, and at least
//! two exponent digits with a sign.

/// Appends Python's `repr(x)` of a finite `x` to `out` (`nan`, `inf` and `-inf` for the
/// others, as Python spells them; JSON cannot hold those, and dpa never writes them).
///
/// # Examples
///
/// ```
/// use dpa::formats::python_repr;
/// let text = |x: f64| { let mut s = Vec::new(); python_repr(x, &mut s); String::from_utf8(s).unwrap() };
/// assert_eq!(text(1e-5), "1e-05");
/// assert_eq!(text(2.5e-7), "2.5e-07");
/// assert_eq!(text(1e16), "1e+16");
/// assert_eq!(text(1234567890123456.0), "1234567890123456.0");
/// assert_eq!(text(0.0001), "0.0001");
/// assert_eq!(text(-0.0), "-0.0");
/// assert_eq!(text(30.0), "30.0");
/// assert_eq!(text(0.1), "0.1");
/// ```
pub fn python_repr(x: f64, out: &mut Vec<u8>) {
    if !x.is_finite() {
        let word: &[u8] = if x.is_nan() {
            b"nan"
        } else if x > 0.0 {
            b"inf"
        } else {
            b"-inf"
        };
        out.extend_from_slice(word);
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let (digits, point) = shortest_digits(buffer.format_finite(x));
    if x.is_sign_negative() {
        out.push(b'-');
    }
    if digits.is_empty() {
        out.extend_from_slice(b"0.0");
        return;
    }
    if (-3..=16).contains(&point) {
        positional(&digits, point, out);
    } else {
        exponential(&digits, point, out);
    }
}

/// The significant digits of the shortest text of a double (`1.5e-7`, `1e+16`, `30.0`) (no leading or trailing zeros)
/// and the position of the decimal point: the value is `0.DIGITS × 10^point`.
fn shortest_digits(text: &str) -> (Vec<u8>, i32) {
    let text = text.trim_start_matches('-');
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    let mut point = whole.len() as i32 + exponent;
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    point -= leading as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, point)
}

/// `123.45`, `0.001`, `30.0`.
fn positional(digits: &[u8], point: i32, out: &mut Vec<u8>) {
    let n = digits.len() as i32;
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(digits);
    } else if point >= n {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', (point - n) as usize));
        out.extend_from_slice(b".0");
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    }
}

/// `1e-05`, `2.5e+16`, `1.7976931348623157e+308`.
fn exponential(digits: &[u8], point: i32, out: &mut Vec<u8>) {
    out.push(digits[0]);
    if digits.len() > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    let exponent = point - 1;
    out.push(b'e');
    out.push(if exponent < 0 { b'-' } else { b'+' });
    let magnitude = exponent.unsigned_abs();
    if magnitude < 10 {
        out.push(b'0');
    }
    let mut ints = itoa::Buffer::new();
    out.extend_from_slice(ints.format(magnitude).as_bytes());
}
