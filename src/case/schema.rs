//! The case file's schema and its migrations.
//!
//! `application_id` marks the file as a Ferret case ("FRRT"), `user_version`
//! is the schema version. Migrations only move forward; a file from a newer
//! Ferret is refused, never downgraded.

/// `PRAGMA application_id` of a Ferret case: ASCII "FRRT".
pub const APPLICATION_ID: i32 = 0x4652_5254;

/// Schema version this Ferret writes.
pub const SCHEMA_VERSION: i32 = 7;

/// Migrations: index `i` takes the schema from version `i` to `i + 1`.
/// They run with foreign keys off (a table rebuild needs it) and are
/// checked with `foreign_key_check` before they commit.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7];

/// Indexes a large scan drops while it inserts and builds again when its
/// records are in (`CaseWriter`): one sort at the end costs far less than a
/// million inserts at random places (1M small files: 37 s to insert with
/// them, 17 s without and 1.6 s to build them). A case may lack them, and
/// only them (a scan under way, or one that stopped); the schema check
/// allows that, and a writable open builds what is missing. The text is
/// the schema's (SQLite keeps it without `IF NOT EXISTS`).
pub const DEFERRED_INDEXES: &[(&str, &str)] = &[
    (
        "files_md5",
        "CREATE INDEX IF NOT EXISTS files_md5 ON files(md5) WHERE md5 IS NOT NULL",
    ),
    (
        "files_media",
        "CREATE INDEX IF NOT EXISTS files_media ON files(media, path_text)",
    ),
    (
        "files_mismatch",
        "CREATE INDEX IF NOT EXISTS files_mismatch ON files(mismatch) WHERE mismatch = 1",
    ),
];

/// Builds the [`DEFERRED_INDEXES`] a case lacks.
pub fn build_deferred_indexes(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    for (_, sql) in DEFERRED_INDEXES {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

/// Version 7: the file table's `status` and `verdict` checks as `=` and
/// `OR` instead of `IN (...)`, the same condition: SQLite builds a
/// temporary table for an `IN` list of three or more on every insert (1M
/// small files scanned into a case: 17-22 s with them, 15-17 s without).
/// The table's definition text is changed in place, SQLite's documented
/// way to change a CHECK constraint without rebuilding the table (every
/// stored row already meets it). `writable_schema = RESET` makes this
/// connection read the new text, and a table made and dropped bumps the
/// schema version so every other connection does too: a later `ALTER
/// TABLE files ADD COLUMN` on a connection holding the old text would
/// splice the new column into the wrong place. The migration loop checks
/// the result against the expected schema before committing.
const V7: &str = r#"
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(replace(sql,
       'CHECK (status IN (''hashed'',''not_hashed'',''error''))',
       'CHECK (status = ''hashed'' OR status = ''not_hashed'' OR status = ''error'')'),
       'CHECK (verdict IN (''none'',''info'',''known_good'',''alert''))',
       'CHECK (verdict = ''none'' OR verdict = ''info'' OR verdict = ''known_good'' OR verdict = ''alert'')')
 WHERE type = 'table' AND name = 'files';
PRAGMA writable_schema = RESET;
CREATE TABLE ferret_v7_schema_bump (x);
DROP TABLE ferret_v7_schema_bump;
"#;

/// Version 6: categorisation (Project VIC). An examiner's category of an
/// item (`review.category`, 0–4; NULL: none set, so the item keeps the
/// category its hash-set hits give it, which stays in `hits.category`),
/// the case's category profile (`case_info.category_profile`, `US` by
/// default) and the label of each category per profile
/// (`category_labels`: the US labels to start with; other profiles' are
/// the examiner's), an index on MD5 for duplicate stacks (a category is
/// set on every copy of a file at once) and the VICS export (one medium
/// per MD5), one on the media kind and path for the gallery of every
/// picture and video, and a random identifier of the case (`case_uuid`:
/// a VICS export's `CaseID`, which tells two cases given one number apart
/// in a set grown from both).
const V6: &str = r#"
ALTER TABLE review ADD COLUMN category INTEGER CHECK (category BETWEEN 0 AND 4);
ALTER TABLE case_info ADD COLUMN category_profile TEXT NOT NULL DEFAULT 'US';
ALTER TABLE case_info ADD COLUMN case_uuid TEXT NOT NULL DEFAULT '';
UPDATE case_info SET case_uuid = lower(hex(randomblob(16)));
CREATE TABLE category_labels (
    profile       TEXT NOT NULL,
    number        INTEGER NOT NULL CHECK (number BETWEEN 0 AND 4),
    label         TEXT NOT NULL,
    PRIMARY KEY (profile, number)
);
INSERT INTO category_labels (profile, number, label) VALUES
    ('US', 0, 'Non-pertinent'),
    ('US', 1, 'Child abuse material'),
    ('US', 2, 'Child exploitive (non-CAM)'),
    ('US', 3, 'CGI / animation'),
    ('US', 4, 'Comparison images');
CREATE INDEX files_md5 ON files(md5) WHERE md5 IS NOT NULL;
CREATE INDEX files_media ON files(media, path_text);
"#;

/// Version 5: a picture's other seven dihedral PDQ views (`pdq_views`,
/// 7 x 32 bytes: rotated and mirrored, in `perceptual::Dihedral` order
/// after the original), so near-duplicate groups join rotated and
/// mirrored copies as hash-set matching finds them.
const V5: &str = r#"
ALTER TABLE files ADD COLUMN pdq_views BLOB;
"#;

/// Version 4: perceptual hashes. A picture row carries its PDQ hash
/// (`pdq`, 32 bytes, Meta's bit order) and quality (0–100), or why a
/// picture has none (`pdq_note`: not decodable, over a limit); images
/// within a distance of each other share a `similar_group`. A PDQ hit
/// records its Hamming `distance` (NULL for an exact digest match).
const V4: &str = r#"
ALTER TABLE files ADD COLUMN pdq BLOB;
ALTER TABLE files ADD COLUMN pdq_quality INTEGER;
ALTER TABLE files ADD COLUMN pdq_note TEXT;
ALTER TABLE files ADD COLUMN similar_group INTEGER;
CREATE INDEX files_similar ON files(similar_group) WHERE similar_group IS NOT NULL;
ALTER TABLE hits ADD COLUMN distance INTEGER;
"#;

/// Version 3: NTFS evidence. An evidence item records the path convention
/// of the system it was read on (`\` and drive letters on Windows) and how
/// its filesystem shows named data streams; a file row may be a named data
/// stream of its entry (`stream`; its `path` key is then the entry's path,
/// a NUL and the stream's name, so it never collides with a real path) and
/// carries its Windows attributes (hidden, system, reparse point …). A
/// row may be a member of an archive (`members`: the member names from
/// the top-level archive down, each escaped, NUL-separated; its `path` key
/// adds them after two NULs each); an archive row says its format and what
/// was found inside (`archive`, `archive_note`), and a new flag reason,
/// `archive`, marks archives not read to their end and encrypted members.
const V3: &str = r#"
ALTER TABLE evidence ADD COLUMN path_style TEXT NOT NULL DEFAULT 'posix' CHECK (path_style IN ('posix','windows'));
ALTER TABLE evidence ADD COLUMN streams TEXT;
ALTER TABLE files ADD COLUMN stream BLOB;
ALTER TABLE files ADD COLUMN stream_text TEXT;
ALTER TABLE files ADD COLUMN attributes TEXT;
ALTER TABLE files ADD COLUMN members BLOB;
ALTER TABLE files ADD COLUMN member_text TEXT;
ALTER TABLE files ADD COLUMN archive TEXT;
ALTER TABLE files ADD COLUMN archive_note TEXT;
CREATE TABLE flags_v3 (
    file_id       INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    reason        TEXT NOT NULL CHECK (reason IN ('alert','info','mismatch','changed_during_read','archive')),
    detail        TEXT NOT NULL,
    UNIQUE (file_id, reason)
);
INSERT INTO flags_v3 (file_id, reason, detail) SELECT file_id, reason, detail FROM flags;
DROP TABLE flags;
ALTER TABLE flags_v3 RENAME TO flags;
CREATE INDEX flags_reason ON flags(reason, file_id);
"#;

/// Version 2: a scan can be `superseded` (continued by a resume). SQLite
/// cannot change a CHECK in place, so `scans` is rebuilt (SQLite's
/// documented procedure: new table, copy, drop, rename).
const V2: &str = r#"
CREATE TABLE scans_v2 (
    id            INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
    options       TEXT NOT NULL,
    started       TEXT NOT NULL,
    finished      TEXT,
    host          TEXT NOT NULL,
    os            TEXT NOT NULL,
    user          TEXT NOT NULL,
    tool_version  TEXT NOT NULL,
    tool_build    TEXT NOT NULL DEFAULT '',
    command_line  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running','complete','cancelled','interrupted','failed','superseded')),
    pid           INTEGER,
    resumes       INTEGER REFERENCES scans(id),
    counters      TEXT
);
INSERT INTO scans_v2 (id, evidence_id, options, started, finished, host, os, user, tool_version,
                      tool_build, command_line, status, pid, resumes, counters)
    SELECT id, evidence_id, options, started, finished, host, os, user, tool_version,
           tool_build, command_line, status, pid, resumes, counters FROM scans;
DROP TABLE scans;
ALTER TABLE scans_v2 RENAME TO scans;
"#;

const V1: &str = r#"
CREATE TABLE case_info (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    case_number   TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    examiner      TEXT NOT NULL DEFAULT '',
    examiner_id   TEXT NOT NULL DEFAULT '',
    agency        TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    display_tz    TEXT NOT NULL DEFAULT 'UTC',
    created       TEXT NOT NULL
);
CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY,
    exhibit       TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    root_path     BLOB NOT NULL,
    root_text     TEXT NOT NULL,
    fs_type       TEXT,
    device        TEXT,
    mount_options TEXT,
    read_only     INTEGER,
    added         TEXT NOT NULL
);
CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
    options       TEXT NOT NULL,
    started       TEXT NOT NULL,
    finished      TEXT,
    host          TEXT NOT NULL,
    os            TEXT NOT NULL,
    user          TEXT NOT NULL,
    tool_version  TEXT NOT NULL,
    tool_build    TEXT NOT NULL DEFAULT '',
    command_line  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running','complete','cancelled','interrupted','failed')),
    pid           INTEGER,
    resumes       INTEGER REFERENCES scans(id),
    counters      TEXT
);
CREATE TABLE hash_sets (
    id            INTEGER PRIMARY KEY,
    scan_id       INTEGER NOT NULL REFERENCES scans(id),
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    provenance    TEXT NOT NULL,
    UNIQUE (scan_id, position)
);
CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
    scan_id       INTEGER NOT NULL REFERENCES scans(id),
    path          BLOB NOT NULL,
    path_text     TEXT NOT NULL,
    name_text     TEXT NOT NULL,
    kind          TEXT,
    size          INTEGER,
    mtime_ns      INTEGER,
    atime_ns      INTEGER,
    ctime_ns      INTEGER,
    btime_ns      INTEGER,
    mode          INTEGER,
    inode         INTEGER,
    md5           BLOB,
    sha1          BLOB,
    sha256        BLOB,
    blake3        BLOB,
    bytes_read    INTEGER,
    mime          TEXT,
    media         TEXT,
    mismatch      INTEGER NOT NULL DEFAULT 0,
    changed_during_read INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL CHECK (status IN ('hashed','not_hashed','error')),
    reason        TEXT,
    error_op      TEXT,
    error_kind    TEXT,
    error_code    INTEGER,
    error_message TEXT,
    link_target   BLOB,
    verdict       TEXT NOT NULL DEFAULT 'none' CHECK (verdict IN ('none','info','known_good','alert')),
    UNIQUE (evidence_id, path)
);
CREATE INDEX files_mismatch ON files(mismatch) WHERE mismatch = 1;
CREATE TABLE hits (
    file_id       INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    hash_set_id   INTEGER NOT NULL REFERENCES hash_sets(id),
    kind          TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    entry         INTEGER NOT NULL,
    category      INTEGER,
    entry_name    TEXT,
    media_id      INTEGER
);
CREATE INDEX hits_file ON hits(file_id);
CREATE INDEX hits_set ON hits(hash_set_id, category);
CREATE TABLE flags (
    file_id       INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    reason        TEXT NOT NULL CHECK (reason IN ('alert','info','mismatch','changed_during_read')),
    detail        TEXT NOT NULL,
    UNIQUE (file_id, reason)
);
CREATE INDEX flags_reason ON flags(reason, file_id);
CREATE TABLE review (
    file_id       INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'unreviewed'
                  CHECK (status IN ('unreviewed','confirmed','false_positive','second_look')),
    bookmark      INTEGER NOT NULL DEFAULT 0,
    note          TEXT NOT NULL DEFAULT '',
    examiner      TEXT NOT NULL DEFAULT '',
    updated       TEXT
);
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    time          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE TABLE audit_head (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    count         INTEGER NOT NULL,
    hash          TEXT NOT NULL
);
INSERT INTO audit_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

"#;
