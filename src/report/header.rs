//! What a report says about the case before its items, read once per
//! report: every format writer takes it from here, so no two files of one
//! report can disagree about the case, its evidence, scans, hash sets or
//! counts (they used to read them separately).

use crate::case::{
    AlertCategoryCount, AuditAnchor, CaseCounts, CaseError, CaseInfo, CaseStore, CategoryCounts,
    EvidenceRecord, HashSetUsed, ScanRecord, UnreadableItem,
};
use crate::evidence::UtcTime;

/// The case facts a report is built on, and when it was generated.
#[derive(Debug, Clone)]
pub struct ReportHeader {
    /// Generation time, ISO 8601 UTC (the only thing that differs between
    /// two reports of the same case).
    pub generated: String,
    /// Case number, title, examiner.
    pub case: CaseInfo,
    /// Evidence items, in the order they were added.
    pub evidence: Vec<EvidenceRecord>,
    /// Scans, oldest first.
    pub scans: Vec<ScanRecord>,
    /// Hash sets used, per scan, with provenance.
    pub hash_sets: Vec<HashSetUsed>,
    /// What the whole case holds.
    pub counts: CaseCounts,
    /// Files with an alert hit, per set and category.
    pub alert_categories: Vec<AlertCategoryCount>,
    /// Entries that could not be read.
    pub unreadable: Vec<UnreadableItem>,
    /// The case's category profile (`US`, …).
    pub category_profile: String,
    /// The label of each category 0–4 in that profile, where it has one.
    pub category_labels: Vec<(i64, Option<String>)>,
    /// Categorisation so far: pictures and videos categorised, items per
    /// category.
    pub category_counts: CategoryCounts,
    /// The case's identifier (VICS `CaseID`).
    pub case_uuid: uuid::Uuid,
    /// The audit log's anchor (last row that is not a report export):
    /// carried outside the case by every report.
    pub audit: AuditAnchor,
    /// Whether the audit chain verified when the report was made.
    pub audit_intact: bool,
}

impl ReportHeader {
    /// The anchor line of `manifest.sha256` (a `#` comment, which
    /// `sha256sum -c` skips).
    pub fn anchor_line(&self) -> String {
        format!(
            "# ferret audit anchor: case {}, audit row {}, BLAKE3 {}{} (check: ferret case verify CASE --report DIR)",
            crate::pathfmt::escape_text(&self.case.case_number),
            self.audit.row,
            self.audit.hash,
            if self.audit_intact {
                ""
            } else {
                ", chain NOT intact"
            }
        )
    }
}

impl ReportHeader {
    /// A category as reports show it: number and label (`1 Child abuse
    /// material`), or the number alone where the profile has no label.
    pub fn category_text(&self, category: i64) -> String {
        crate::case::category_text(&self.category_labels, category)
    }

    /// The label of a category, where the profile has one.
    pub fn category_label(&self, category: i64) -> Option<&str> {
        self.category_labels
            .iter()
            .find(|(n, _)| *n == category)
            .and_then(|(_, l)| l.as_deref())
    }

    /// Counts per category as reports list them: number, label, items.
    pub fn category_rows(&self) -> Vec<(i64, Option<&str>, u64)> {
        (0..=crate::case::categories::MAX_CATEGORY)
            .zip(self.category_counts.per_category)
            .map(|(n, items)| (n, self.category_label(n), items))
            .collect()
    }

    /// Reads the header from the case, stamped with the current time.
    pub fn read(store: &CaseStore) -> Result<ReportHeader, CaseError> {
        Ok(ReportHeader {
            generated: UtcTime::now().to_iso8601(),
            case: store.info()?,
            evidence: store.evidence()?,
            scans: store.scans()?,
            hash_sets: store.hash_sets_used()?,
            counts: store.counts(None)?,
            alert_categories: store.alert_categories()?,
            unreadable: store.unreadable_items()?,
            category_profile: store.category_profile()?,
            category_labels: store.category_labels()?,
            category_counts: store.category_counts()?,
            case_uuid: store.case_uuid()?,
            audit: store.audit_anchor()?,
            audit_intact: store.verify_audit()?.is_ok(),
        })
    }
}
