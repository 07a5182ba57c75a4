//! Which extensions are acceptable for a detected type.
//!
//! Each group lists names that legitimately carry the same signature: aliases
//! (`jpg`/`jpeg`), container families (a `.docx` *is* a ZIP, an `.m4a` *is*
//! an MP4) and file types that reuse a container. A detected type accepts
//! every extension of the group its typical extension belongs to.

const GROUPS: &[&[&str]] = &[
    &["jpg", "jpeg", "jpe", "jfif", "jif", "jfi"],
    &[
        "tif", "tiff", "dng", "nef", "cr2", "arw", "orf", "rw2", "pef", "srw",
    ],
    &["png", "apng"],
    &["bmp", "dib"],
    &["ico", "cur"],
    &["heic", "heif", "hif", "avif"],
    &["htm", "html", "xhtml", "shtml"],
    &[
        "mpg", "mpeg", "mpe", "m1v", "m2v", "vob", "ts", "mts", "m2ts",
    ],
    &[
        "mp4", "m4v", "m4a", "m4b", "m4p", "mov", "qt", "3gp", "3g2", "f4v", "heic", "avif",
    ],
    &["mkv", "webm", "mka", "mk3d", "mks"],
    &["ogg", "ogv", "oga", "opus", "spx", "ogx"],
    &["wav", "wave"],
    &["aif", "aiff", "aifc"],
    &["mp3", "mpga"],
    &["avi", "divx"],
    &["wmv", "wma", "asf"],
    &[
        "zip", "docx", "docm", "dotx", "xlsx", "xlsm", "xltx", "pptx", "pptm", "potx", "ppsx",
        "odt", "ods", "odp", "odg", "odf", "ott", "epub", "jar", "war", "ear", "apk", "aab", "xpi",
        "ipa", "kmz", "cbz", "whl", "nupkg", "vsix", "xps", "oxps", "3mf", "appx", "msix", "crx",
        "aar", "zipx", "pages", "numbers", "key", "sketch", "xd", "hwpx",
    ],
    &[
        "cfb", "doc", "dot", "xls", "xlt", "ppt", "pot", "pps", "msg", "msi", "msp", "mst", "pub",
        "vsd", "mpp", "hwp", "db", "ole", "wps",
    ],
    &["gz", "tgz", "gzip"],
    &["bz2", "tbz2", "tbz", "bz"],
    &["xz", "txz"],
    &["zst", "tzst", "zstd"],
    &["7z"],
    &["rar", "cbr"],
    &["tar", "cbt"],
    &[
        "exe", "dll", "sys", "scr", "cpl", "ocx", "drv", "efi", "com", "mui", "ax", "acm", "tlb",
        "winmd", "node", "pyd",
    ],
    &["elf", "so", "o", "ko", "bin", "axf", "prx", "out"],
    &["dylib", "bundle", "macho"],
    &[
        "sqlite", "sqlite3", "db", "db3", "s3db", "sl3", "sqlitedb", "sdb", "ferret", "wal",
    ],
    &["pdf", "ai"],
    &["ps", "eps"],
    &["psd", "psb"],
    &["ttf", "ttc", "otf"],
    &["woff", "woff2"],
    &["iso", "img", "udf"],
    &["dmg", "img"],
    &["vmdk"],
    &["vhd", "vhdx"],
    &["qcow", "qcow2"],
    &["e01", "ex01", "l01", "s01"],
];

/// Extensions that promise a signature: a file named so whose content has no
/// recognisable signature is suspicious (renamed, encrypted, or corrupt).
const SIGNATURE_EXTS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "mp4", "mov", "m4v", "avi",
    "mkv", "webm", "wmv", "flv", "3gp", "mpg", "mpeg", "mp3", "wav", "flac", "zip", "rar", "7z",
    "gz", "bz2", "xz", "pdf", "docx", "xlsx", "pptx", "doc", "xls", "ppt", "exe", "dll", "sqlite",
    "psd",
];

/// True when a file whose typical extension is `typical` may be named `ext`.
pub(super) fn accepts(typical: &str, ext: &str) -> bool {
    typical.eq_ignore_ascii_case(ext)
        || GROUPS
            .iter()
            .any(|g| g.contains(&typical) && g.contains(&ext))
}

/// True when `ext` (lower case) is one that promises a signature.
pub(super) fn claims_signature(ext: &str) -> bool {
    SIGNATURE_EXTS.contains(&ext)
}
