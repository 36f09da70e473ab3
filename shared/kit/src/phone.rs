//! Mobile numbers, which never leave a service unmasked: responses, events, audit trails
//! and logs carry `138****5678`; only storage (for exact search) sees the digits.

/// A mainland mobile number: 11 digits starting with 1.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a number, accepting spaces, dashes and a leading +86.
    pub fn parse(raw: &str) -> Option<Phone> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits
            .strip_prefix("+86")
            .map(str::to_owned)
            .unwrap_or(digits);
        (digits.len() == 11
            && digits.starts_with('1')
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(Phone(digits))
    }

    /// The full number, for storage and exact search only.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The number as staff and logs see it: `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks all but the first three and last four characters.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

// Never print the number, even in debug output.
impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        let p = Phone::parse("+86 138-0013-8000").expect("valid");
        assert_eq!(p.digits(), "13800138000");
        assert_eq!(p.masked(), "138****8000");
        assert_eq!(format!("{p:?}"), "Phone(138****8000)");
        for bad in [
            "",
            "1380013800",
            "23800138000",
            "1380013800x",
            "138001380001",
        ] {
            assert!(Phone::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(mask("12345"), "*****");
    }
}
