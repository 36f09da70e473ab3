//! Customers as scheduling sees them: a name and a mobile number that never leaves
//! unmasked.

use service_kit::error::Violations;

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

/// The customer on an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The contact service's id, when known (may be empty).
    pub customer_id: String,
    /// Name as given.
    pub name: String,
    /// Mobile number.
    pub phone: Phone,
}

impl Customer {
    /// Validates the raw parts; violations are reported under `prefix` (`customer.`).
    pub fn parse(
        customer_id: &str,
        name: &str,
        phone: &str,
        prefix: &str,
        v: &mut Violations,
    ) -> Option<Customer> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            v.add(
                format!("{prefix}name"),
                "required, at most 64 printable characters",
            );
        }
        if !customer_id.is_empty() && !service_kit::ids::is_valid("cus", customer_id) {
            v.add(format!("{prefix}customer_id"), "must be a cus_ id or empty");
        }
        let phone = Phone::parse(phone);
        if phone.is_none() {
            v.add(
                format!("{prefix}phone"),
                "must be an 11-digit mobile number starting with 1",
            );
        }
        Some(Customer {
            customer_id: customer_id.to_owned(),
            name: name.to_owned(),
            phone: phone?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_in_the_middle() {
        let p = Phone::parse("138 0013 8000").unwrap();
        assert_eq!(p.masked(), "138****8000");
        assert_eq!(format!("{p:?}"), "Phone(138****8000)");
        assert_eq!(
            Phone::parse("+8613800138000").unwrap().digits(),
            "13800138000"
        );
    }

    #[test]
    fn malformed_phones_are_refused() {
        for bad in ["", "12345", "23800138000", "1380013800a", "138001380001"] {
            assert!(Phone::parse(bad).is_none(), "{bad}");
        }
    }
}
