//! The holiday calendar partners' decision deadlines count working days
//! by: every signed-in user may read a year's arrangement; the programme
//! office enters it from the State Council's notice.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use fanxing_core::matching::service::HolidayYear;
use fanxing_core::workdays::{Arrangement, Holiday};
use fanxing_core::{Error, FieldErrors};

use crate::ctx::{CsrfForm, Ctx};
use crate::pages::{field, render, saved_or_form, PageResult};
use crate::AppState;

/// Rows the form offers for holidays and for worked weekend days.
const HOLIDAY_ROWS: usize = 10;
const WORKED_ROWS: usize = 10;

#[derive(Template)]
#[template(path = "matching/match_holidays.html")]
struct HolidaysPage<'a> {
    ctx: &'a Ctx,
    year: i32,
    shown: HolidayYear,
    /// The form's rows (the programme office only).
    form: Option<Arrangement>,
    errors: FieldErrors,
    saved: bool,
}

impl HolidaysPage<'_> {
    fn problems(&self) -> Vec<String> {
        self.errors
            .0
            .iter()
            .map(|e| e.message(self.ctx.lang))
            .collect()
    }
    fn updated(&self) -> String {
        self.shown
            .updated_at
            .map(fanxing_core::training::format_local)
            .unwrap_or_default()
    }
    fn days(h: &Holiday) -> i64 {
        use fanxing_core::workdays::parse_day;
        match (parse_day(&h.first), parse_day(&h.last)) {
            (Some(f), Some(l)) => l - f + 1,
            _ => 0,
        }
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<String>,
    done: Option<String>,
}

/// The current year in Beijing.
fn this_year() -> i32 {
    fanxing_core::training::format_local(fanxing_core::now())
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(2026)
}

/// The form's rows: the arrangement's, then empty ones.
fn rows(a: Option<&Arrangement>) -> Arrangement {
    let mut a = a.cloned().unwrap_or(Arrangement {
        holidays: Vec::new(),
        worked_weekends: Vec::new(),
    });
    let blank = Holiday {
        first: String::new(),
        last: String::new(),
        name: String::new(),
    };
    a.holidays.resize(HOLIDAY_ROWS.max(a.holidays.len()), blank);
    a.worked_weekends
        .resize(WORKED_ROWS.max(a.worked_weekends.len()), String::new());
    a
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    form: Option<Arrangement>,
    errors: FieldErrors,
    saved: bool,
) -> PageResult {
    let actor = ctx.actor()?;
    let shown = state.matching.holidays(year).await?;
    let form = state
        .matching
        .may_set_holidays(actor)
        .then(|| form.unwrap_or_else(|| rows(shown.arrangement.as_ref())));
    render(
        ctx,
        &HolidaysPage {
            ctx,
            year,
            shown,
            form,
            errors,
            saved,
        },
    )
}

/// `GET /match/holidays?year=2027`: a year's holidays and worked weekend
/// days, with the form for the programme office.
pub async fn holidays(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => this_year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| crate::error::PageError::new(&ctx, Error::NotFound))?,
    };
    page(
        &state,
        &ctx,
        year,
        None,
        FieldErrors::default(),
        q.done.as_deref() == Some("saved"),
    )
    .await
}

/// The most rows a submitted form is read for (the service refuses more
/// than 20 of each, naming the limit).
const ROWS_READ: usize = 100;

/// The arrangement a submitted form holds: its filled rows, in order, from
/// every row the form sent (a stored year may have more rows than a blank
/// form offers).
fn from_form(form: &[(String, String)]) -> Arrangement {
    let f = |name: String| field(form, &name).trim().to_string();
    let rows_of = |prefixes: &[&str]| crate::pages::rows_sent(form, prefixes, ROWS_READ);
    Arrangement {
        holidays: (0..rows_of(&["name", "first", "last"]))
            .map(|i| Holiday {
                name: f(format!("name_{i}")),
                first: f(format!("first_{i}")),
                last: f(format!("last_{i}")),
            })
            .filter(|h| !(h.name.is_empty() && h.first.is_empty() && h.last.is_empty()))
            .collect(),
        worked_weekends: (0..rows_of(&["worked"]))
            .map(|i| f(format!("worked_{i}")))
            .filter(|d| !d.is_empty())
            .collect(),
    }
}

/// `POST /match/holidays/{year}`: the programme office saves a year's
/// arrangement; refused by row, nothing saved, when a row is wrong.
pub async fn set_holidays(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(year): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let year = year
        .parse::<i32>()
        .map_err(|_| crate::error::PageError::new(&ctx, Error::NotFound))?;
    let a = from_form(&form);
    let saved = state.matching.set_holidays(actor, year, &a).await;
    saved_or_form(
        &ctx,
        saved,
        |_| format!("/match/holidays?year={year}&done=saved"),
        |e| page(&state, &ctx, year, Some(rows(Some(&a))), e, false),
    )
    .await
}
