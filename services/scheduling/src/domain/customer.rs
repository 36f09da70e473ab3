//! Customers as scheduling sees them: a name and a mobile number that never leaves
//! unmasked.

use service_kit::error::Violations;

pub use service_kit::phone::{Phone, mask};

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
