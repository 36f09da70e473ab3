//! A customer: who they are, how and when they may be reached, for what, and what the
//! branch should prepare for. The mobile number is the identity (the same number is the
//! same customer); the national ID number is kept only as a keyed hash and its last four.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use jiff::{Timestamp, civil::Date};
use service_kit::{
    error::Violations,
    phone::Phone,
    rules::{self, RuleError, check},
};
use sha2::Sha256;

use super::{
    plan::QuietHours,
    vocab::{Channel, ConsentMethod, Gender, Need, Purpose},
};

/// A consent as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// For what.
    pub purpose: Purpose,
    /// Given (true) or withdrawn.
    pub granted: bool,
    /// How.
    pub method: ConsentMethod,
    /// Who recorded it.
    pub source: String,
    /// When.
    pub changed_at: Timestamp,
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// `cus_…`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// The mobile, 11 digits.
    pub phone: String,
    /// As given.
    pub gender: Option<Gender>,
    /// As given.
    pub birth_date: Option<Date>,
    /// The branch they use most.
    pub home_branch_id: String,
    /// Its region, for scope.
    pub home_region_path: String,
    /// HMAC-SHA256 of the normalised ID number; empty when none was given.
    pub national_id_hash: String,
    /// Its last four characters.
    pub national_id_last4: String,
    /// Addresses by channel (SMS and calls use the mobile).
    pub contact_points: BTreeMap<Channel, String>,
    /// The channels to try, preferred first.
    pub channel_order: Vec<Channel>,
    /// When not to contact them, in the branch's time zone.
    pub quiet_hours: QuietHours,
    /// Contact nobody about anything.
    pub do_not_contact: bool,
    /// By purpose.
    pub consents: Vec<Consent>,
    /// What the branch should prepare for.
    pub needs: Vec<Need>,
    /// Free text for the branch.
    pub notes: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change.
    pub version: i64,
}

impl Customer {
    /// Whether consent for `purpose` stands.
    pub fn consents_to(&self, purpose: Purpose) -> bool {
        self.consents
            .iter()
            .any(|c| c.purpose == purpose && c.granted)
    }

    /// Where `channel` reaches them, if it does.
    pub fn address(&self, channel: Channel) -> Option<String> {
        if channel.uses_mobile() {
            return Some(
                self.contact_points
                    .get(&channel)
                    .cloned()
                    .unwrap_or_else(|| self.phone.clone()),
            );
        }
        self.contact_points.get(&channel).cloned()
    }

    /// The channels to try, in order, that can reach them; SMS when none was agreed.
    pub fn reachable_channels(&self) -> Vec<Channel> {
        let order = if self.channel_order.is_empty() {
            vec![Channel::Sms]
        } else {
            self.channel_order.clone()
        };
        order
            .into_iter()
            .filter(|c| self.address(*c).is_some())
            .collect()
    }
}

/// A new customer as asked for.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    /// The mobile as typed.
    pub phone: String,
    /// Name.
    pub name: String,
    /// Gender.
    pub gender: Option<Gender>,
    /// Birth date.
    pub birth_date: Option<Date>,
    /// Home branch id ('' for none).
    pub home_branch_id: String,
    /// ID number as typed ('' for none).
    pub national_id: String,
}

/// A consent as recorded by staff or a system.
#[derive(Debug, Clone)]
pub struct ConsentInput {
    /// For what.
    pub purpose: Option<Purpose>,
    /// Given or withdrawn.
    pub granted: bool,
    /// How.
    pub method: Option<ConsentMethod>,
    /// Who recorded it.
    pub source: String,
}

/// The checked fields of a new customer: the mobile, the name, the ID number's parts.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Mobile.
    pub phone: Phone,
    /// Trimmed name.
    pub name: String,
    /// Normalised ID number ('' for none), to hash.
    pub national_id: String,
}

/// Checks a new customer's fields (the name only when `creating`).
pub fn check_new(c: &NewCustomer, creating: bool) -> Result<Checked, RuleError> {
    let mut v = Violations::new();
    let phone = Phone::parse(&c.phone);
    v.check(
        phone.is_some(),
        "phone",
        "required, a mainland mobile number (11 digits starting with 1)",
    );
    let name = rules::text(&mut v, "name", &c.name, 64, creating);
    let national_id = c.national_id.trim().to_ascii_uppercase();
    v.check(
        national_id.is_empty() || national_id_valid(&national_id),
        "national_id",
        "18 characters: 17 digits and a check character (a digit or X) that matches",
    );
    if let Some(b) = c.birth_date {
        v.check(
            b.year() >= 1900,
            "birth_date",
            "a date from 1900 on, not in the future",
        );
    }
    check(v)?;
    Ok(Checked {
        phone: phone.expect("checked"),
        name,
        national_id,
    })
}

/// Whether `id` is a resident ID number with a matching ISO 7064 MOD 11-2 check character.
pub fn national_id_valid(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] == b[17]
}

/// The keyed hash an ID number is stored and looked up by (hex HMAC-SHA256): without the
/// key, the stored value cannot be reversed by trying the (few) possible numbers.
pub fn national_id_hash(key: &[u8], id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The last four characters of an ID number.
pub fn last4(id: &str) -> String {
    id.chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// Checks a consent as recorded.
pub fn check_consent(c: &ConsentInput, field: &str) -> Result<(), RuleError> {
    let mut v = Violations::new();
    v.check(c.purpose.is_some(), &format!("{field}.purpose"), "required");
    v.check(c.method.is_some(), &format!("{field}.method"), "required");
    rules::text(&mut v, &format!("{field}.source"), &c.source, 64, true);
    check(v)
}

/// Contact preferences as asked for.
#[derive(Debug, Clone, Default)]
pub struct Preferences {
    /// Addresses by channel.
    pub contact_points: Vec<(Option<Channel>, String)>,
    /// Preferred first.
    pub channel_order: Vec<Option<Channel>>,
    /// `None` keeps the default.
    pub quiet_hours: Option<QuietHours>,
    /// Contact nobody.
    pub do_not_contact: bool,
}

/// Checks preferences: known channels, an address for each non-mobile channel, each
/// channel at most once in the order and each reachable.
pub fn check_preferences(
    p: &Preferences,
) -> Result<(BTreeMap<Channel, String>, Vec<Channel>), RuleError> {
    let mut v = Violations::new();
    let mut points = BTreeMap::new();
    for (i, (channel, address)) in p.contact_points.iter().enumerate() {
        let field = format!("contact_points[{i}]");
        let address = rules::text(&mut v, &format!("{field}.address"), address, 128, false);
        match channel {
            None => v.add(format!("{field}.channel"), "required"),
            Some(c) if c.uses_mobile() => {
                if !address.is_empty() && Phone::parse(&address).is_none() {
                    v.add(format!("{field}.address"), "a mainland mobile number");
                }
                if !address.is_empty() {
                    points.insert(*c, address);
                }
            }
            Some(c) => {
                if address.is_empty() {
                    v.add(format!("{field}.address"), "required for this channel");
                } else if points.insert(*c, address).is_some() {
                    v.add(
                        format!("{field}.channel"),
                        "at most one address per channel",
                    );
                }
            }
        }
    }
    let mut order = Vec::new();
    for (i, c) in p.channel_order.iter().enumerate() {
        let field = format!("channel_order[{i}]");
        match c {
            None => v.add(&field, "a channel"),
            Some(c) if order.contains(c) => v.add(&field, "each channel at most once"),
            Some(c) if !c.uses_mobile() && !points.contains_key(c) => {
                v.add(&field, "needs a contact point for this channel")
            }
            Some(c) => order.push(*c),
        }
    }
    check(v)?;
    Ok((points, order))
}

/// Checks needs and notes.
pub fn check_needs(needs: &[Option<Need>], notes: &str) -> Result<(Vec<Need>, String), RuleError> {
    let mut v = Violations::new();
    let mut out = Vec::new();
    for (i, n) in needs.iter().enumerate() {
        match n {
            Some(n) if !out.contains(n) => out.push(*n),
            Some(_) => v.add(format!("needs[{i}]"), "each need at most once"),
            None => v.add(format!("needs[{i}]"), "a need"),
        }
    }
    let notes = rules::note(&mut v, "notes", notes, 500, false);
    check(v)?;
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_carry_their_check_character() {
        assert!(national_id_valid("11010519491231002X"));
        assert!(national_id_valid("440524188001010014"));
        assert!(!national_id_valid("440524188001010015"));
        assert!(!national_id_valid("4405241880010100"));
        assert_eq!(last4("11010519491231002X"), "002X");
        let a = national_id_hash(b"k1", "11010519491231002X");
        assert_eq!(a.len(), 64);
        assert_ne!(a, national_id_hash(b"k2", "11010519491231002X"));
        assert!(!a.contains("1101051949"));
    }

    #[test]
    fn new_customers_are_checked_field_by_field() {
        let bad = NewCustomer {
            phone: "12345".into(),
            name: String::new(),
            national_id: "440524188001010015".into(),
            ..Default::default()
        };
        let Err(RuleError::Invalid(v)) = check_new(&bad, true) else {
            panic!("accepted")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["phone", "name", "national_id"]);
        let ok = NewCustomer {
            phone: "+86 139-0000-0001".into(),
            name: " 王女士 ".into(),
            national_id: "11010519491231002x".into(),
            ..Default::default()
        };
        let c = check_new(&ok, true).unwrap();
        assert_eq!(c.phone.digits(), "13900000001");
        assert_eq!(c.name, "王女士");
        assert_eq!(c.national_id, "11010519491231002X");
    }

    #[test]
    fn preferences_need_an_address_for_every_channel_they_order() {
        let p = Preferences {
            contact_points: vec![(Some(Channel::WeChat), "wx-open-id-1".into())],
            channel_order: vec![
                Some(Channel::WeChat),
                Some(Channel::Sms),
                Some(Channel::Email),
                Some(Channel::Sms),
            ],
            ..Default::default()
        };
        let Err(RuleError::Invalid(v)) = check_preferences(&p) else {
            panic!("accepted")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["channel_order[2]", "channel_order[3]"]);
        let ok = Preferences {
            channel_order: vec![Some(Channel::WeChat), Some(Channel::Sms)],
            ..p
        };
        let (points, order) = check_preferences(&ok).unwrap();
        assert_eq!(order, [Channel::WeChat, Channel::Sms]);
        assert_eq!(points[&Channel::WeChat], "wx-open-id-1");
    }
}
