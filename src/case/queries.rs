//! Read queries that front ends and reports ask the case for. All SQL lives
//! in `case/`; callers get typed rows.

use super::{CaseError, CaseStore};

/// Files with an alert hit, per set and category.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertCategoryCount {
    /// Set name.
    pub set: String,
    /// Raw category (`None`: the entry has none).
    pub category: Option<i64>,
    /// Distinct files.
    pub files: u64,
}

impl CaseStore {
    /// Files with an alert hit, per set and category, in set and category
    /// order (uncategorised first).
    pub fn alert_categories(&self) -> Result<Vec<AlertCategoryCount>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT s.name, h.category, count(DISTINCT h.file_id) FROM hits h JOIN hash_sets s ON s.id = h.hash_set_id
             WHERE h.kind = 'alert' GROUP BY s.name, h.category ORDER BY s.name, h.category",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AlertCategoryCount {
                set: r.get(0)?,
                category: r.get(1)?,
                files: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
