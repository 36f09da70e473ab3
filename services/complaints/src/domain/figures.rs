//! The arithmetic of the figures management reads: percentiles and the regional score.

/// The nearest-rank percentile `p` (0–1) of sorted values, 0 when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `part` as a percentage of `whole`, 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A region's score, 0–100: 40 % SLA met, 30 % resolved without leaving the branch,
/// 30 % satisfaction (1 → 0, 5 → 100). A part with nothing to measure yet (no decided
/// work orders, nobody asked) drops out and the others carry its weight.
pub fn score(
    sla_met: Option<f64>,
    resolved_in_branch: Option<f64>,
    satisfaction: Option<f64>,
) -> f64 {
    let parts = [
        (0.4, sla_met),
        (0.3, resolved_in_branch),
        (0.3, satisfaction.map(|s| (s - 1.0) / 4.0 * 100.0)),
    ];
    let weight: f64 = parts
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(w, _)| w)
        .sum();
    if weight == 0.0 {
        return 0.0;
    }
    parts
        .iter()
        .filter_map(|(w, v)| v.map(|v| w * v))
        .sum::<f64>()
        / weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 5.0);
        assert_eq!(percentile(&v, 0.9), 9.0);
        assert_eq!(percentile(&v, 1.0), 10.0);
        assert_eq!(percentile(&[7.0], 0.9), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn the_score_weighs_what_there_is() {
        assert_eq!(score(Some(100.0), Some(100.0), Some(5.0)), 100.0);
        assert_eq!(score(Some(50.0), Some(0.0), Some(1.0)), 20.0);
        // Nobody asked about satisfaction: 40/70 and 30/70.
        let s = score(Some(100.0), Some(0.0), None);
        assert!((s - 400.0 / 7.0).abs() < 1e-9, "{s}");
        assert_eq!(score(None, None, None), 0.0);
        assert_eq!(percent(1, 4), 25.0);
        assert_eq!(percent(1, 0), 0.0);
    }
}
