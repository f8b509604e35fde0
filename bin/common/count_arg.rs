//! Whole numbers from the command line (counts, ids): a bad one is named with the form
//! that is accepted, not with Rust's "invalid digit found in string".

/// Parses a `u64` written in decimal digits (`_` may group them: `1_000_000`).
pub fn parse_u64(text: &str) -> Result<u64, String> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    if let Ok(n) = digits.parse::<u64>() {
        if !digits.starts_with('+') && !digits.is_empty() {
            return Ok(n);
        }
    }
    let hint = if text.starts_with('-') {
        "it is negative".to_string()
    } else if text.contains(['e', 'E', '.']) && text.parse::<f64>().is_ok() {
        let f = text.parse::<f64>().unwrap_or(0.0);
        match f.fract() == 0.0 && (0.0..1.8e19).contains(&f) {
            true => format!("write it as {}", f as u64),
            false => "it is not a whole number".to_string(),
        }
    } else if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        "it is larger than 18446744073709551615".to_string()
    } else {
        "it is not a number".to_string()
    };
    Err(format!(
        "expected a whole number from 0 to 18446744073709551615 in decimal digits; {hint}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_what_is_wrong_with_them() {
        assert_eq!(parse_u64("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_u64("0"), Ok(0));
        assert!(parse_u64("1e6")
            .unwrap_err()
            .contains("write it as 1000000"));
        assert!(parse_u64("-5").unwrap_err().contains("negative"));
        assert!(parse_u64("18446744073709551616")
            .unwrap_err()
            .contains("larger"));
        assert!(parse_u64("+5").is_err());
        assert!(parse_u64("ten").unwrap_err().contains("not a number"));
        assert!(parse_u64("1.5").unwrap_err().contains("not a whole number"));
    }
}
