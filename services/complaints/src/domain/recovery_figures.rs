//! The recovery figures' arithmetic: what became of each broken wait promise, how fast it
//! was decided, and what the gifts cost.

use std::collections::BTreeMap;

use super::figures::percentile;

/// A case's instants, in micros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseTimes {
    /// The breach that opened it.
    pub breached_at: i64,
    /// End of its decision window.
    pub decide_by: i64,
    /// Its first decision, if any.
    pub decided_at: Option<i64>,
}

/// Gifts totalled by one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostLine {
    /// Branch id, decider or paying unit.
    pub key: String,
    /// Currency of `total_minor`.
    pub currency: String,
    /// How many gifts.
    pub gifts: u64,
    /// Their list prices added up.
    pub total_minor: i64,
}

/// The recovery figures of one scope and period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecoveryFigures {
    /// Breaches of a per-item promise.
    pub exam_item_breaches: u64,
    /// Breaches of the whole-visit promise.
    pub whole_visit_breaches: u64,
    /// Visits whose promise broke.
    pub cases: u64,
    /// Gifts on the route or to a companion.
    pub gifts_during_wait: u64,
    /// Gifts turned into vouchers (the visit had ended).
    pub vouchers: u64,
    /// Offers the customer declined.
    pub declined_by_customer: u64,
    /// Cases ended without a gift, by reason name.
    pub not_given_by_reason: BTreeMap<String, u64>,
    /// Cases first decided after their window.
    pub decided_late: u64,
    /// Cases undecided with their window closed.
    pub overdue_undecided: u64,
    /// Breach to first decision, minutes.
    pub median_minutes_to_decision: f64,
    /// Per branch.
    pub cost_by_branch: Vec<CostLine>,
    /// Per deciding person.
    pub cost_by_decider: Vec<CostLine>,
    /// Per paying unit.
    pub cost_by_bearer: Vec<CostLine>,
}

impl RecoveryFigures {
    /// Counts breaches by scope name (`EXAM_ITEM`, `WHOLE_VISIT`).
    pub fn add_breaches(&mut self, by_scope: &[(String, u64)]) {
        for (scope, n) in by_scope {
            match scope.as_str() {
                "WHOLE_VISIT" => self.whole_visit_breaches += n,
                _ => self.exam_item_breaches += n,
            }
        }
    }

    /// Counts decisions keyed `DECISION/REASON/DELIVERY`.
    pub fn add_decisions(&mut self, by_key: &[(String, u64)]) {
        for (key, n) in by_key {
            let mut parts = key.splitn(3, '/');
            let (decision, reason, delivery) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            match (decision, delivery) {
                ("GRANTED", "VOUCHER") => self.vouchers += n,
                ("GRANTED", _) => self.gifts_during_wait += n,
                ("DECLINED_BY_CUSTOMER", _) => self.declined_by_customer += n,
                ("NOT_GIVEN", _) => {
                    *self
                        .not_given_by_reason
                        .entry(reason.to_owned())
                        .or_default() += n
                }
                _ => {}
            }
        }
    }

    /// Counts the cases, late and overdue ones at `now` (micros), and the median time to
    /// decide.
    pub fn add_cases(&mut self, cases: &[CaseTimes], now: i64) {
        const MINUTE: f64 = 60_000_000.0;
        self.cases += cases.len() as u64;
        let mut minutes = Vec::new();
        for c in cases {
            match c.decided_at {
                Some(at) => {
                    self.decided_late += u64::from(at > c.decide_by);
                    minutes.push((at - c.breached_at).max(0) as f64 / MINUTE);
                }
                None => self.overdue_undecided += u64::from(now > c.decide_by),
            }
        }
        minutes.sort_by(f64::total_cmp);
        self.median_minutes_to_decision = percentile(&minutes, 0.5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    #[test]
    fn each_path_lands_in_its_own_count() {
        let mut f = RecoveryFigures::default();
        f.add_breaches(&[("EXAM_ITEM".into(), 3), ("WHOLE_VISIT".into(), 2)]);
        f.add_decisions(&[
            ("GRANTED//ON_ROUTE".into(), 4),
            ("GRANTED//TO_COMPANION".into(), 1),
            ("GRANTED//VOUCHER".into(), 2),
            ("DECLINED_BY_CUSTOMER//".into(), 1),
            ("NOT_GIVEN/CUSTOMER_LEFT/".into(), 3),
            ("NOT_GIVEN/OTHER/".into(), 1),
        ]);
        assert_eq!((f.exam_item_breaches, f.whole_visit_breaches), (3, 2));
        assert_eq!((f.gifts_during_wait, f.vouchers), (5, 2));
        assert_eq!(f.declined_by_customer, 1);
        assert_eq!(f.not_given_by_reason["CUSTOMER_LEFT"], 3);
        assert_eq!(f.not_given_by_reason["OTHER"], 1);
    }

    #[test]
    fn late_and_overdue_are_told_apart_and_the_median_is_of_decided_cases() {
        let case = |decided: Option<i64>| CaseTimes {
            breached_at: 0,
            decide_by: 10 * MIN,
            decided_at: decided.map(|m| m * MIN),
        };
        let mut f = RecoveryFigures::default();
        let cases = [
            case(Some(4)),
            case(Some(6)),
            case(Some(25)),
            case(None),
            case(None),
        ];
        // At minute 8 the undecided ones are still inside their window.
        f.add_cases(&cases, 8 * MIN);
        assert_eq!((f.cases, f.decided_late, f.overdue_undecided), (5, 1, 0));
        assert_eq!(f.median_minutes_to_decision, 6.0);
        let mut later = RecoveryFigures::default();
        later.add_cases(&cases, 11 * MIN);
        assert_eq!(later.overdue_undecided, 2);
        let mut none = RecoveryFigures::default();
        none.add_cases(&[], 0);
        assert_eq!(none.median_minutes_to_decision, 0.0);
    }
}
