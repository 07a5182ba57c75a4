//! Categorisation (Project VIC): the category an examiner gives an item,
//! the one its hash-set hits give it, the case's profile and its labels,
//! and duplicate stacks (every copy of a file takes the same category).
//!
//! Both values are kept: the examiner's in `review.category`, the sets' in
//! `hits.category`. An item's category is the examiner's where set, else
//! its pre-category: the most severe category (1, 2, 3, 4, then 0) among
//! its hits. Labels come from the case's `category_labels` table, never
//! from code; a category without a label is shown by its number.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, types::Value};

use super::{CaseError, CaseStore, audit};

/// Highest category number (US profile: 0 non-pertinent … 4 comparison).
pub const MAX_CATEGORY: i64 = 4;

/// The pre-category of the item `f` (an alias of `files`): the most
/// severe category in 0–4 among its hits, 1 first and 0 last. A macro, so
/// that constant queries can `concat!` it.
macro_rules! pre_category_sql {
    () => {
        "(SELECT h.category FROM hits h WHERE h.file_id = f.id AND h.distance IS NULL
          AND h.category BETWEEN 0 AND 4 ORDER BY h.category = 0, h.category LIMIT 1)"
    };
}

/// Two items `f` and `c` are copies: the same MD5, and every other digest
/// the same or absent in both, at least one of them present (an MD5 alone
/// can collide, and crafted collisions exist). A macro, for `concat!`.
macro_rules! copies_sql {
    () => {
        "c.md5 = f.md5 AND c.sha1 IS f.sha1 AND c.sha256 IS f.sha256 AND c.blake3 IS f.blake3
         AND coalesce(f.sha1, f.sha256, f.blake3) IS NOT NULL"
    };
}
pub(crate) use pre_category_sql;

/// The examiner's category of the item with review row `r`, where it is
/// one (a crafted case's 7 or -1 counts as none here; `case verify`
/// reports it).
macro_rules! examiner_category_sql {
    () => {
        "CASE WHEN r.category BETWEEN 0 AND 4 THEN r.category END"
    };
}
pub(crate) use examiner_category_sql;

/// [`pre_category_sql`] as a constant.
pub(crate) const PRE_CATEGORY: &str = pre_category_sql!();

/// The category of the item `f` with review row `r`: the examiner's, else
/// the pre-category.
pub(crate) fn effective_sql() -> String {
    format!("coalesce({}, {PRE_CATEGORY})", examiner_category_sql!())
}

/// What an item's category is and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemCategory {
    /// Set by an examiner (`None`: not set).
    pub examiner: Option<i64>,
    /// From the hash sets that hit the item: the category and the set.
    pub preset: Option<(i64, String)>,
}

impl ItemCategory {
    /// The category the item has: the examiner's, else the sets'.
    pub fn effective(&self) -> Option<i64> {
        self.examiner.or(self.preset.as_ref().map(|p| p.0))
    }

    /// True when the category comes from a hash set, not an examiner.
    pub fn precategorised(&self) -> bool {
        self.examiner.is_none() && self.preset.is_some()
    }
}

/// How far categorisation has gone: of the case's pictures and videos,
/// how many have a category, and how many items have each.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CategoryCounts {
    /// Pictures and videos in the case.
    pub media: u64,
    /// Of those, how many have a category.
    pub categorised: u64,
    /// Items (of any kind) per category 0–4.
    pub per_category: [u64; 5],
}

/// A profile name a case accepts: 1–40 ASCII letters, digits, `-`, `_`.
pub fn valid_profile(p: &str) -> bool {
    (1..=40).contains(&p.len())
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Longest label shown (the table refuses longer ones; a crafted case may
/// hold any).
const MAX_LABEL_CHARS: usize = 100;

/// A category number as typed or stored: 0–4.
pub fn parse_category(s: &str) -> Option<i64> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|c| (0..=MAX_CATEGORY).contains(c))
}

impl CaseStore {
    /// The case's category profile (`US` unless changed).
    pub fn category_profile(&self) -> Result<String, CaseError> {
        let p: String = self.conn.query_row(
            "SELECT category_profile FROM case_info WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        // A crafted case: the name goes into URLs and reports.
        if valid_profile(&p) {
            Ok(p)
        } else {
            Err(CaseError::Invalid(format!(
                "the case's category profile {} is not a profile name",
                crate::pathfmt::escape_text(&p)
            )))
        }
    }

    /// The label of each category 0–4 in the case's profile (`None` where
    /// the profile has none).
    pub fn category_labels(&self) -> Result<Vec<(i64, Option<String>)>, CaseError> {
        let profile = self.category_profile()?;
        let mut st = self
            .conn
            .prepare("SELECT label FROM category_labels WHERE profile = ?1 AND number = ?2")?;
        (0..=MAX_CATEGORY)
            .map(|n| {
                let label: Option<String> = st
                    .query_row(rusqlite::params![profile, n], |r| r.get(0))
                    .optional()?;
                Ok((
                    n,
                    label.map(|l| {
                        let cut: String = l.chars().take(MAX_LABEL_CHARS).collect();
                        crate::pathfmt::display_safe(&cut).into_owned()
                    }),
                ))
            })
            .collect()
    }

    /// A category as every view shows it: `1 Child abuse material`, or the
    /// number alone where the profile has no label.
    pub fn category_text(&self, category: i64) -> Result<String, CaseError> {
        let labels = self.category_labels()?;
        Ok(category_text(&labels, category))
    }

    /// The case's identifier, a UUID made when it was created (or migrated
    /// to schema 6); one derived from the case number for an older case
    /// read without migrating it.
    pub fn case_uuid(&self) -> Result<uuid::Uuid, CaseError> {
        let stored: String =
            self.conn
                .query_row("SELECT case_uuid FROM case_info WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        Ok(match uuid::Uuid::try_parse(&stored) {
            Ok(u) => u,
            Err(_) => uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_URL,
                format!("ferret:case:{}", self.info()?.case_number).as_bytes(),
            ),
        })
    }

    /// Switches the case to another category profile (`US`, `UK`, …),
    /// audit-logged. Categories keep their numbers.
    pub fn set_category_profile(&self, profile: &str, examiner: &str) -> Result<(), CaseError> {
        let profile = profile.trim();
        // It is a path segment of the VICS context URL.
        if !valid_profile(profile) {
            return Err(CaseError::Invalid(format!(
                "a category profile is a short name of letters, digits, - and _ (US, UK), not {}",
                crate::pathfmt::escape_text(profile)
            )));
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE case_info SET category_profile = ?1 WHERE id = 1",
            [profile],
        )?;
        audit::append(
            &tx,
            examiner,
            "category_profile",
            &serde_json::json!({ "profile": profile }).to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Sets (or with an empty label removes) the label of `number` in
    /// `profile`, audit-logged.
    pub fn set_category_label(
        &self,
        profile: &str,
        number: i64,
        label: &str,
        examiner: &str,
    ) -> Result<(), CaseError> {
        if !(0..=MAX_CATEGORY).contains(&number) {
            return Err(CaseError::Invalid(format!(
                "category {number}: categories are 0 to {MAX_CATEGORY}"
            )));
        }
        let label = label.trim();
        if label.chars().count() > 100 || label.chars().any(char::is_control) {
            return Err(CaseError::Invalid(
                "a category label is one line of at most 100 characters".into(),
            ));
        }
        let tx = self.conn.unchecked_transaction()?;
        if label.is_empty() {
            tx.execute(
                "DELETE FROM category_labels WHERE profile = ?1 AND number = ?2",
                rusqlite::params![profile, number],
            )?;
        } else {
            tx.execute(
                "INSERT INTO category_labels (profile, number, label) VALUES (?1, ?2, ?3)
                 ON CONFLICT (profile, number) DO UPDATE SET label = excluded.label",
                rusqlite::params![profile, number, label],
            )?;
        }
        audit::append(
            &tx,
            examiner,
            "category_label",
            &serde_json::json!({ "profile": profile, "number": number, "label": label })
                .to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The copies of an item: every item of the case with the same MD5
    /// and the same other digests (SHA-1, SHA-256, BLAKE3: equal, or absent
    /// in both; at least one present), the item itself included, by id. An
    /// item without an MD5, or with an MD5 alone, is its own only copy.
    pub fn copies_of(&self, file_id: i64) -> Result<Vec<i64>, CaseError> {
        let mut st = self.conn.prepare(concat!(
            "SELECT c.id FROM files f JOIN files c ON ",
            copies_sql!(),
            " WHERE f.id = ?1 AND f.md5 IS NOT NULL ORDER BY c.id"
        ))?;
        let ids: Vec<i64> = st
            .query_map([file_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(if ids.is_empty() { vec![file_id] } else { ids })
    }

    /// Sets the examiner's category of items and of every copy of them
    /// (`None` clears it: the items fall back to their pre-category), one
    /// audit row per item. Returns the items changed, copies included.
    pub fn set_category(
        &self,
        file_ids: &[i64],
        category: Option<i64>,
        examiner: &str,
    ) -> Result<Vec<i64>, CaseError> {
        if let Some(c) = category
            && !(0..=MAX_CATEGORY).contains(&c)
        {
            return Err(CaseError::Invalid(format!(
                "category {c}: categories are 0 to {MAX_CATEGORY}"
            )));
        }
        let mut all = BTreeSet::new();
        for &id in file_ids {
            // Only a hashed file can be shared by its digests: a folder or
            // an unreadable item would count as categorised and then be
            // missing from every VICS export.
            let status: Option<String> = self
                .conn
                .query_row("SELECT status FROM files WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            match status.as_deref() {
                Some("hashed") => {}
                Some(_) => {
                    return Err(CaseError::Invalid(format!(
                        "item {id} is not a hashed file (a folder, a link, or unreadable): only files are categorised"
                    )));
                }
                None => return Err(CaseError::NotFound(format!("no item with id {id}"))),
            }
            all.extend(self.copies_of(id)?);
        }
        let all: Vec<i64> = all.into_iter().collect();
        let (value, shown) = match category {
            Some(c) => (Value::Integer(c), c.to_string()),
            None => (Value::Null, "none".to_string()),
        };
        self.review_change(&all, examiner, "category", value, "review_category", &shown)?;
        Ok(all)
    }

    /// An item's category: the examiner's and the sets'.
    pub fn item_category(&self, file_id: i64) -> Result<ItemCategory, CaseError> {
        let examiner: Option<i64> = self
            .conn
            .query_row(
                "SELECT category FROM review WHERE file_id = ?1 AND category BETWEEN 0 AND 4",
                [file_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let preset: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT h.category, s.name FROM hits h JOIN hash_sets s ON s.id = h.hash_set_id
                 WHERE h.file_id = ?1 AND h.category BETWEEN 0 AND 4 AND h.distance IS NULL
                 ORDER BY h.category = 0, h.category, s.name LIMIT 1",
                [file_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(ItemCategory { examiner, preset })
    }

    /// Counts of categorisation over the case.
    pub fn category_counts(&self) -> Result<CategoryCounts, CaseError> {
        let effective = effective_sql();
        let media = self.conn.query_row(
            "SELECT count(*) FROM files WHERE media IN ('image', 'video')",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        let mut counts = CategoryCounts {
            media: u64::try_from(media).unwrap_or(0),
            ..Default::default()
        };
        // Only items with a category can count: those an examiner
        // categorised and those a set's hit did (1.5 s for every row of a
        // 1M-file case; these are few).
        let mut st = self.conn.prepare(&format!(
            "SELECT f.media IN ('image', 'video'), {effective} AS c, count(*)
             FROM files f LEFT JOIN review r ON r.file_id = f.id
             WHERE f.id IN (SELECT file_id FROM review WHERE category IS NOT NULL
                            UNION SELECT file_id FROM hits WHERE category BETWEEN 0 AND 4
                              AND distance IS NULL)
             GROUP BY 1, 2"
        ))?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, Option<bool>>(0)?.unwrap_or(false),
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (media, category, n) = row?;
            let n = u64::try_from(n).unwrap_or(0);
            if media && category.is_some() {
                counts.categorised += n;
            }
            if let Some(slot) = category
                .and_then(|c| usize::try_from(c).ok())
                .and_then(|c| counts.per_category.get_mut(c))
            {
                *slot += n;
            }
        }
        Ok(counts)
    }
}

/// `labels` (as [`CaseStore::category_labels`] returns them) applied to
/// `category`: `1 Child abuse material`, or `1` alone.
pub fn category_text(labels: &[(i64, Option<String>)], category: i64) -> String {
    match labels.iter().find(|(n, _)| *n == category) {
        Some((_, Some(label))) => format!("{category} {label}"),
        _ => category.to_string(),
    }
}
