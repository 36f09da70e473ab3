//! Customers by segment (prospect, first visit, returning, long-term), per branch and
//! region.

use std::collections::BTreeMap;

use service_kit::{Result, auth::Principal, sql::Where};

use super::{Contact, roles};
use crate::{domain::followup_vocab::Segment, store};

/// Segment counts at one branch or region.
#[derive(Debug, Clone, Default)]
pub struct SegmentCounts {
    /// Per segment.
    pub by_segment: BTreeMap<Segment, u64>,
}

impl Contact {
    /// Customers per segment at each branch in scope (and the region summed).
    pub async fn segment_counts(
        &self,
        p: &Principal,
        branch_id: &str,
        region_path: &str,
    ) -> Result<Vec<(String, String, SegmentCounts)>> {
        p.require_role(roles::FIGURES, "read segment counts")?;
        self.check_narrowing(p, branch_id, region_path).await?;
        use store::outreach::{SEGMENT_BRANCH, SEGMENT_REGION};
        let mut w = Where::default();
        w.in_scope(SEGMENT_BRANCH, SEGMENT_REGION, &p.scope)
            .eq(SEGMENT_BRANCH, branch_id)
            .under_region(SEGMENT_REGION, region_path);
        let rows =
            store::outreach::segment_counts(&mut *self.conn().await?, &w, self.now()).await?;
        let mut out: BTreeMap<(String, String), SegmentCounts> = BTreeMap::new();
        for (b, r, seg, n) in rows {
            *out.entry((b, r))
                .or_default()
                .by_segment
                .entry(seg)
                .or_default() += n as u64;
        }
        Ok(out.into_iter().map(|((b, r), c)| (b, r, c)).collect())
    }
}
