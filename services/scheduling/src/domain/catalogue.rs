//! The exam catalogue: items and the packages made of them.

use jiff::Timestamp;
use service_kit::{
    error::Violations,
    rules::{money, text},
};

use super::{RuleError, check};

/// One exam item (a station's work: blood draw, ultrasound, ECG …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamItem {
    /// `item_…`
    pub id: String,
    /// Catalogue code, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Department whose station performs it.
    pub department: String,
    /// Typical minutes at the station.
    pub duration_minutes: u32,
    /// Must be done fasting, so routes put it first.
    pub fasting_required: bool,
    /// Tie-breaker on the route: lower goes earlier.
    pub order_hint: i32,
    /// The catalogue price, what a gift of this item is worth; none when not priced.
    pub list_price: Option<Price>,
    /// Created.
    pub created_at: Timestamp,
}

/// An amount in a currency's minor unit (fen for CNY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units.
    pub minor: i64,
}

/// A package of items, as booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// `pkg_…`
    pub id: String,
    /// Catalogue code, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Items in catalogue order.
    pub items: Vec<ExamItem>,
    /// ISO currency code.
    pub currency: String,
    /// Price in minor units.
    pub price_minor: i64,
    /// Created.
    pub created_at: Timestamp,
}

impl Package {
    /// Whether any item needs fasting.
    pub fn fasting_required(&self) -> bool {
        self.items.iter().any(|i| i.fasting_required)
    }

    /// Sum of the items' durations.
    pub fn total_duration_minutes(&self) -> u32 {
        self.items.iter().map(|i| i.duration_minutes).sum()
    }
}

fn check_code(code: &str, v: &mut Violations) {
    v.check(
        (1..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "code",
        "1 to 32 letters, digits, dashes or underscores",
    );
}

/// Validates a new exam item.
pub fn validate_item(item: &ExamItem) -> Result<(), RuleError> {
    let mut v = Violations::new();
    check_code(&item.code, &mut v);
    text(&mut v, "name", &item.name, 128, true);
    text(&mut v, "department", &item.department, 64, true);
    v.check(
        (1..=480).contains(&item.duration_minutes),
        "duration_minutes",
        "must be between 1 and 480",
    );
    check_price(item.list_price.as_ref(), &mut v);
    check(v)
}

/// Validates a list price on its own (a price change).
pub fn validate_price(price: Option<&Price>) -> Result<(), RuleError> {
    let mut v = Violations::new();
    check_price(price, &mut v);
    check(v)
}

fn check_price(price: Option<&Price>, v: &mut Violations) {
    if let Some(price) = price {
        v.check(
            is_currency(&price.currency),
            "list_price.currency_code",
            "three capital letters, such as CNY",
        );
        money(v, "list_price.minor_units", price.minor);
    }
}

fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Validates a new package before its items are looked up.
pub fn validate_package(
    code: &str,
    name: &str,
    item_ids: &[String],
    currency: &str,
    price_minor: i64,
) -> Result<(), RuleError> {
    let mut v = Violations::new();
    check_code(code, &mut v);
    text(&mut v, "name", name, 128, true);
    v.check(
        !item_ids.is_empty() && item_ids.len() <= 100,
        "exam_item_ids",
        "between 1 and 100 items",
    );
    let mut sorted = item_ids.to_vec();
    sorted.sort();
    sorted.dedup();
    v.check(
        sorted.len() == item_ids.len(),
        "exam_item_ids",
        "an item may appear only once",
    );
    v.check(
        is_currency(currency),
        "price.currency_code",
        "an ISO 4217 code such as CNY",
    );
    money(&mut v, "price.minor_units", price_minor);
    check(v)
}
