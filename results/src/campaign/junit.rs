//! `junit.xml`: a campaign for CI systems, one `<testsuite>` with a `<testcase>` per run. An
//! invalid run is a `<failure type="invalid">` carrying its anomalies, an unknown one a
//! `<failure type="unknown">` (an inconclusive run must not pass), one whose chaos experiment's
//! hypothesis failed a `<failure type="hypothesis">` with a line per fault, a crashed one an
//! `<error>`.
//! quick-xml escapes every attribute and text; characters XML 1.0 cannot carry at all (most
//! control characters) are replaced first.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::{Campaign, RunRow, Verdict};
use crate::layout::iso8601;

/// `text` with every character XML 1.0 forbids (even escaped) replaced by U+FFFD.
fn xml_chars(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

/// The failure or error element of one run, if it did not pass.
fn outcome(w: &mut Writer<Vec<u8>>, run: &RunRow) -> io::Result<()> {
    let why = xml_chars(run.figures.why.as_deref().unwrap_or(run.figures.verdict.as_str()));
    let page = format!("run page: {}/index.html", run.dir);
    let mut body: Vec<String> = run.figures.explanations.iter().map(|e| xml_chars(e)).collect();
    body.push(xml_chars(&page));
    let (element, kind) = match run.figures.verdict {
        Verdict::Valid => return Ok(()),
        Verdict::Invalid => ("failure", "invalid"),
        Verdict::Unknown => ("failure", "unknown"),
        Verdict::HypothesisFailed => ("failure", "hypothesis"),
        Verdict::Crashed => ("error", "crashed"),
    };
    w.create_element(element)
        .with_attribute(("type", kind))
        .with_attribute(("message", why.as_str()))
        .write_text_content(BytesText::new(&body.join("\n")))?;
    Ok(())
}

/// The JUnit XML of `campaign`; each run's explanations (its anomalies, one per line, as the
/// campaign read them from the run; `campaign.json` does not keep them) go into its failure's
/// text.
pub fn render(campaign: &Campaign) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let name = xml_chars(&campaign.name);
    let t = &campaign.totals;
    let written: io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("testsuite")
            .with_attribute(("name", name.as_str()))
            .with_attribute(("tests", t.runs.to_string().as_str()))
            .with_attribute(("failures", (t.invalid + t.unknown + t.hypothesis_failed).to_string().as_str()))
            .with_attribute(("errors", t.crashed.to_string().as_str()))
            .with_attribute(("time", seconds(campaign.duration_s).as_str()))
            .with_attribute(("timestamp", iso8601(&campaign.stamp).unwrap_or_else(|| campaign.stamp.clone()).as_str()))
            .write_inner_content(|w| {
                for run in &campaign.runs {
                    let case = w
                        .create_element("testcase")
                        .with_attribute(("classname", name.as_str()))
                        .with_attribute(("name", xml_chars(&run.id).as_str()))
                        .with_attribute(("time", seconds(run.duration_s).as_str()));
                    match run.figures.verdict {
                        Verdict::Valid => case.write_empty().map(|_| ())?,
                        _ => case.write_inner_content(|w| outcome(w, run)).map(|_| ())?,
                    }
                }
                Ok(())
            })?;
        Ok(())
    })();
    let mut xml = String::from_utf8_lossy(&w.into_inner()).into_owned();
    if let Err(e) = written {
        // Writing into a Vec cannot fail; say so in the file rather than panic if it ever does.
        xml.push_str(&format!("\n<!-- incomplete: {} -->", xml_chars(&e.to_string()).replace("--", "- -")));
    }
    xml.push('\n');
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::row;
    use crate::campaign::Verdict::*;
    use quick_xml::escape::unescape;
    use quick_xml::events::BytesStart;
    use quick_xml::Reader;

    /// An element parsed back: its name, attributes (unescaped) and text (unescaped).
    #[derive(Debug)]
    struct Element {
        name: String,
        attrs: Vec<(String, String)>,
        text: String,
    }

    impl Element {
        fn attr(&self, key: &str) -> &str {
            self.attrs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
        }
    }

    fn element(e: &BytesStart) -> Element {
        let attrs = e
            .attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), a.unescape_value().unwrap().into_owned())
            })
            .collect();
        Element { name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(), attrs, text: String::new() }
    }

    /// Every element in document order, parsed back with quick-xml (panics if not well-formed).
    fn parse(xml: &str) -> Vec<Element> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let (mut out, mut open, mut raw): (Vec<Element>, Vec<usize>, Vec<String>) = (vec![], vec![], vec![]);
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    out.push(element(&e));
                    open.push(out.len() - 1);
                    raw.push(String::new());
                }
                Event::Empty(e) => out.push(element(&e)),
                Event::Text(t) => match raw.last_mut() {
                    Some(text) => text.push_str(&t.decode().unwrap()),
                    None => assert!(t.decode().unwrap().trim().is_empty(), "text outside the root element"),
                },
                Event::GeneralRef(r) => raw.last_mut().unwrap().push_str(&format!("&{};", r.decode().unwrap())),
                Event::End(_) => {
                    let i = open.pop().unwrap();
                    out[i].text = unescape(&raw.pop().unwrap()).expect("known entities").into_owned();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(open.is_empty(), "every element is closed");
        out
    }

    #[test]
    fn one_testcase_per_run_with_failures_for_invalid_and_unknown_and_errors_for_crashes() {
        let mut runs = vec![
            row("ok-s1-r1", Valid, Some(3.0)),
            row("stale-s1-r1", Invalid, Some(3.0)),
            row("maybe-s1-r1", Unknown, None),
            row("boom-s1-r1", Crashed, None),
        ];
        runs[1].figures.explanations = vec!["nonlinearizable: read <x> & \"y\"".to_string(), "second".into()];
        let campaign = Campaign::new("nightly <&> \"q\" 'a'", "20261123T095753Z", 61.5, runs, None);
        let xml = render(&campaign);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{xml}");
        let elements = parse(&xml);
        let suite = &elements[0];
        assert_eq!(suite.name, "testsuite");
        assert_eq!(suite.attr("name"), "nightly <&> \"q\" 'a'");
        assert_eq!((suite.attr("tests"), suite.attr("failures"), suite.attr("errors")), ("4", "2", "1"));
        assert_eq!((suite.attr("time"), suite.attr("timestamp")), ("61.500", "2026-11-23T09:57:53"));
        let cases: Vec<&Element> = elements.iter().filter(|e| e.name == "testcase").collect();
        let names: Vec<&str> = cases.iter().map(|c| c.attr("name")).collect();
        assert_eq!(names, ["ok-s1-r1", "stale-s1-r1", "maybe-s1-r1", "boom-s1-r1"]);
        assert!(cases.iter().all(|c| c.attr("classname") == suite.attr("name") && c.attr("time") == "14.200"));
        let outcomes: Vec<(&str, &str)> = elements
            .iter()
            .filter(|e| e.name == "failure" || e.name == "error")
            .map(|e| (e.name.as_str(), e.attr("type")))
            .collect();
        assert_eq!(outcomes, [("failure", "invalid"), ("failure", "unknown"), ("error", "crashed")]);
        let failure = elements.iter().find(|e| e.name == "failure").unwrap();
        assert_eq!(failure.attr("message"), "invalid because <reasons> & \"quotes\"");
        assert!(failure.text.starts_with("nonlinearizable: read <x> & \"y\"\nsecond\n"), "{}", failure.text);
        assert!(failure.text.ends_with("runs/stale-s1-r1/index.html"), "{}", failure.text);
        assert!(!xml.contains("<x>") && !xml.contains("<&>"), "raw markup got through: {xml}");
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        let mut run = row("ctl-s1-r1", Crashed, None);
        run.figures.why = Some("bell \u{7} and nul \u{0} here".into());
        let xml = render(&Campaign::new("c", "s", 1.0, vec![run], None));
        let error = parse(&xml).into_iter().find(|e| e.name == "error").unwrap();
        assert_eq!(error.attr("message"), "bell \u{FFFD} and nul \u{FFFD} here");
    }
}
