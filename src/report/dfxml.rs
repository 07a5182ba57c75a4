//! `report.dfxml`: DFXML 2.0.0-beta.0, valid against the DFXML XSD. The
//! creator is the scan that produced the data (its command line and start),
//! not the report run, so reports of one case agree; BLAKE3, outside the
//! schema's enumeration, is a `hashdigest type="other"`.
//!
//! An archive member is a `fileobject` whose `filename` is its chain
//! (`outer.zip\>photos/a.jpg`) and whose `parent_object` names the archive
//! one level up in a Ferret attribute (`ferret:container`, allowed by the
//! schema's `anyAttribute`); its `inode` is that of the evidence file that
//! holds the bytes (the top-level archive), as members have none of their
//! own. A picture's PDQ hash, which is no digest of its bytes, is a
//! `ferret:pdq` element (with its `quality`) in the `fileobject`'s `##other`
//! slot after the digests; its Project VIC category a `ferret:category`
//! (number, profile, source attributes; the label as text) after it.

use std::io::{self, Write};

use quick_xml::Writer as XmlWriter;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};

use super::folder::FormatError;
use super::header::ReportHeader;
use super::rows::ScopedRows;
use crate::case::ReportRow;

/// Writes `report.dfxml`; returns the file object count.
pub(super) fn write_dfxml(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    let mut w = XmlWriter::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = BytesStart::new("dfxml").with_attributes([
        (
            "xmlns",
            "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML",
        ),
        ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ("xmlns:ferret", FERRET_NS),
        ("version", "2.0.0-beta.0"),
    ]);
    w.write_event(Event::Start(root.borrow()))?;
    write_provenance(&mut w, header)?;
    let n = rows.for_each(|r| {
        write_fileobject(&mut w, header, &r)?;
        Ok::<_, FormatError>(())
    })?;
    w.write_event(Event::End(root.to_end()))?;
    Ok(n)
}

/// The namespace of Ferret's own attributes.
const FERRET_NS: &str = "urn:x-ferret:dfxml:1";

/// Text from the case as XML may hold it: escaped if it has a control or
/// bidi character.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    crate::pathfmt::display_safe(s)
}

/// `metadata`, `creator` and `source`: what produced the data.
fn write_provenance<W: Write>(w: &mut XmlWriter<W>, header: &ReportHeader) -> io::Result<()> {
    // The scan's command line and start: what produced the data (stable
    // across reports of the same case).
    // XML 1.0 cannot hold most control characters even as references: any
    // text from the case is written in its escaped form when it has one
    // (an evidence folder named with \x0b is in the command line).
    let first = header.scans.first();
    let cmd = text(first.map(|s| s.command_line.as_str()).unwrap_or_default());
    let started = text(first.map_or(header.generated.as_str(), |s| s.started.as_str()));
    w.create_element("metadata").write_inner_content(|w| {
        w.create_element("dc:type")
            .write_text_content(BytesText::new("Hash List"))?;
        Ok(())
    })?;
    w.create_element("creator").write_inner_content(|w| {
        w.create_element("program")
            .write_text_content(BytesText::new(crate::TOOL_NAME))?;
        w.create_element("version")
            .write_text_content(BytesText::new(crate::VERSION))?;
        w.create_element("execution_environment")
            .write_inner_content(|w| {
                w.create_element("os_sysname")
                    .write_text_content(BytesText::new(std::env::consts::OS))?;
                w.create_element("command_line")
                    .write_text_content(BytesText::new(&cmd))?;
                w.create_element("start_time")
                    .write_text_content(BytesText::new(&started))?;
                Ok(())
            })?;
        Ok(())
    })?;
    w.create_element("source").write_inner_content(|w| {
        for e in &header.evidence {
            w.create_element("image_filename")
                .write_text_content(BytesText::new(&e.root_text()))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One item as a `fileobject`.
fn write_fileobject<W: Write>(
    w: &mut XmlWriter<W>,
    header: &ReportHeader,
    r: &ReportRow,
) -> io::Result<()> {
    w.create_element("fileobject").write_inner_content(|w| {
        if let (Some(container), Some(inode)) = (r.container_path(), r.evidence_inode) {
            w.create_element("parent_object")
                .with_attribute(("ferret:container", text(&container).as_ref()))
                .write_inner_content(|w| {
                    w.create_element("inode")
                        .write_text_content(BytesText::new(&(inode as u64).to_string()))?;
                    Ok(())
                })?;
        }
        w.create_element("filename")
            .write_text_content(BytesText::new(&text(&r.item_path())))?;
        if r.status == "error" {
            w.create_element("error")
                .write_text_content(BytesText::new(&text(r.reason.as_deref().unwrap_or(""))))?;
        }
        if let Some(s) = r.size {
            w.create_element("filesize")
                .write_text_content(BytesText::new(&s.to_string()))?;
        }
        for (tag, v) in [
            ("mtime", &r.mtime),
            ("ctime", &r.ctime),
            ("atime", &r.atime),
            ("crtime", &r.crtime),
        ] {
            if let Some(t) = v {
                w.create_element(tag)
                    .write_text_content(BytesText::new(&text(t)))?;
            }
        }
        for (ty, v) in [
            ("md5", &r.md5),
            ("sha1", &r.sha1),
            ("sha256", &r.sha256),
            ("other", &r.blake3),
        ] {
            if let Some(h) = v {
                // BLAKE3 is not in the schema's enumeration: type="other".
                w.create_element("hashdigest")
                    .with_attribute(("type", ty))
                    .write_text_content(BytesText::new(h))?;
            }
        }
        // PDQ is no digest of the bytes (not a `hashdigest`): a Ferret
        // element in the schema's `##other` slot, after the digests.
        if let Some(h) = &r.pdq {
            let mut e = w.create_element("ferret:pdq");
            let quality = r.pdq_quality.map(|q| q.to_string());
            if let Some(q) = &quality {
                e = e.with_attribute(("quality", q.as_str()));
            }
            e.write_text_content(BytesText::new(&text(h)))?;
        }
        // Its Project VIC category, in the same slot: the number, the
        // case's profile, who gave it, and the label as text.
        if let Some(c) = r.category() {
            let number = c.to_string();
            w.create_element("ferret:category")
                .with_attribute(("number", number.as_str()))
                .with_attribute(("profile", text(&header.category_profile).as_ref()))
                .with_attribute(("source", r.category_source()))
                .write_text_content(BytesText::new(&text(
                    header.category_label(c).unwrap_or_default(),
                )))?;
        }
        Ok(())
    })?;
    Ok(())
}
