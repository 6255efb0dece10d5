//! iCalendar (RFC 5545) files: one per session, and a personal feed of a
//! trainee's registrations that calendar apps re-read, so moved or cancelled
//! sessions update on the phone.

use crate::training::{Session, SessionStatus, SHANGHAI_OFFSET_SECS};

/// One event of a calendar.
pub struct Event<'a> {
    pub session: &'a Session,
    /// Where: venue name and address.
    pub location: String,
    /// A link back to the session page.
    pub url: String,
}

/// Escapes TEXT values (backslash, semicolon, comma, newline).
fn text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\r', "")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets without splitting a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

/// `YYYYMMDDTHHMMSS` in Beijing time.
fn local(ts: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts + SHANGHAI_OFFSET_SECS) {
        Ok(t) => format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "19700101T000000".into(),
    }
}

fn utc(ts: i64) -> String {
    format!("{}Z", local(ts - SHANGHAI_OFFSET_SECS))
}

/// A calendar with `events`, named `name`; `now` stamps it.
pub fn calendar(name: &str, events: &[Event<'_>], now: i64) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Fanxing//Training calendar//ZH".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", text(name)),
        "X-WR-TIMEZONE:Asia/Shanghai".into(),
        // China keeps UTC+8 all year.
        "BEGIN:VTIMEZONE".into(),
        "TZID:Asia/Shanghai".into(),
        "BEGIN:STANDARD".into(),
        "DTSTART:19700101T000000".into(),
        "TZOFFSETFROM:+0800".into(),
        "TZOFFSETTO:+0800".into(),
        "TZNAME:CST".into(),
        "END:STANDARD".into(),
        "END:VTIMEZONE".into(),
    ];
    for e in events {
        let s = e.session;
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:session-{}@fanxing", s.id));
        lines.push(format!("DTSTAMP:{}", utc(now)));
        lines.push(format!("DTSTART;TZID=Asia/Shanghai:{}", local(s.starts_at)));
        lines.push(format!("DTEND;TZID=Asia/Shanghai:{}", local(s.ends_at)));
        lines.push(format!("SUMMARY:{}", text(&s.title)));
        if !e.location.is_empty() {
            lines.push(format!("LOCATION:{}", text(&e.location)));
        }
        lines.push(format!("URL:{}", e.url));
        if let Some(n) = &s.notice {
            lines.push(format!("DESCRIPTION:{}", text(n)));
        }
        // The start time moves the sequence, so a moved session replaces
        // the old event in calendar apps.
        let seq = (s.starts_at / 60).rem_euclid(1_000_000_000);
        lines.push(format!("SEQUENCE:{seq}"));
        lines.push(
            match s.status {
                SessionStatus::Cancelled => "STATUS:CANCELLED",
                SessionStatus::Draft => "STATUS:TENTATIVE",
                _ => "STATUS:CONFIRMED",
            }
            .into(),
        );
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionCode;
    use crate::training::{parse_local_datetime, ProgrammeId, SessionId};

    fn session() -> Session {
        Session {
            id: SessionId(7),
            programme_id: ProgrammeId(1),
            course_id: None,
            title: "直播选品实战；第一期, 苏州".into(),
            region: RegionCode::parse("320500").unwrap(),
            region_name: "苏州市".into(),
            count_region: RegionCode::parse("320508").unwrap(),
            tier: None,
            eligible_tiers: vec![],
            eligible_region: None,
            starts_at: parse_local_datetime("2025-03-15 09:00").unwrap(),
            ends_at: parse_local_datetime("2025-03-15 12:00").unwrap(),
            reg_opens_at: 0,
            reg_closes_at: 0,
            online_min_share: 60,
            status: SessionStatus::Published,
            public_key: String::new(),
            notice: None,
            closed_at: None,
        }
    }

    #[test]
    fn events_carry_beijing_times_and_escaped_text() {
        let s = session();
        let ics = calendar(
            "繁星",
            &[Event {
                session: &s,
                location: "苏州国际会议中心，姑苏区".into(),
                url: "https://x/sessions/7".into(),
            }],
            0,
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART;TZID=Asia/Shanghai:20250315T090000\r\n"));
        assert!(ics.contains("DTEND;TZID=Asia/Shanghai:20250315T120000\r\n"));
        assert!(
            ics.contains("SUMMARY:直播选品实战\\；第一期\\, 苏州")
                || ics.contains("SUMMARY:直播选品实战；第一期\\, 苏州")
        );
        assert!(ics.contains("STATUS:CONFIRMED"));
        assert!(ics.lines().all(|l| l.len() <= 76), "lines are folded");
    }

    #[test]
    fn cancelled_sessions_say_so() {
        let mut s = session();
        s.status = SessionStatus::Cancelled;
        let ics = calendar(
            "x",
            &[Event {
                session: &s,
                location: String::new(),
                url: String::new(),
            }],
            0,
        );
        assert!(ics.contains("STATUS:CANCELLED"));
    }
}
