//! The home page, one per role: what this person should look at and do next.
//!
//! Offices see their completion against the plan for today, the regions
//! furthest behind, the next sessions and their next actions; trainees their
//! next training with its ticket, what they have attended and their
//! certificates; check-in staff their venues with a large button into
//! check-in; everyone else the few pages their role uses. A visitor sees the
//! landing page.

use askama::Template;
use axum::extract::State;
use fanxing_core::auth::{Actor, Role};
use fanxing_core::curriculum::CertificateView;
use fanxing_core::now;
use fanxing_core::numfmt;
use fanxing_core::people::service::Overview;
use fanxing_core::reports::service::Laggard;
use fanxing_core::training::store::MyRegistration;
use fanxing_core::training::{Session, Venue};
use fanxing_core::Lang;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::pages::render;

type PageResult<T = axum::response::Response> = Result<T, PageError>;
use crate::AppState;

/// An office's programme at a glance.
pub struct OfficeHome {
    pub programme_id: fanxing_core::training::ProgrammeId,
    pub programme_name: String,
    pub region: String,
    pub region_name: String,
    pub attendances: i64,
    pub attendance_target: i64,
    pub sessions: i64,
    pub session_target: i64,
    /// Share of the attendance target reached.
    pub share: f64,
    /// Where the straight-line plan stands today (share of the period gone).
    pub expected: f64,
    pub laggards: Vec<Laggard>,
    pub upcoming: Vec<Session>,
}

impl OfficeHome {
    /// Attendances short of (negative) or ahead of (positive) today's plan.
    pub fn against_plan(&self) -> i64 {
        let planned = (self.attendance_target as f64 * self.expected).round() as i64;
        self.attendances - planned
    }
}

/// A trainee's training at a glance.
pub struct TraineeHome {
    /// The next session registered for (or waitlisted on), soonest first.
    pub next: Option<MyRegistration>,
    pub upcoming: usize,
    pub attended: usize,
    pub certificates: Vec<CertificateView>,
    /// The live rooms the trainee runs (their figures are a click away).
    pub rooms: Vec<fanxing_core::analytics::Room>,
    pub room_count: i64,
    /// Progress on their track and the first courses of their path.
    pub progress: Option<fanxing_core::paths::TrackProgress>,
    pub recs: Vec<crate::paths::Explained>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    overview: Option<Overview>,
    office: Option<OfficeHome>,
    trainee: Option<TraineeHome>,
    /// Check-in staff: the venues whose session has not ended.
    venues: Option<Vec<(Session, Venue)>>,
    can_create_session: bool,
}

impl HomePage<'_> {
    fn lang(&self) -> Lang {
        self.ctx.lang
    }
    fn num(&self, n: &i64) -> String {
        numfmt::count(*n, self.lang())
    }
    fn exact(&self, n: &i64) -> String {
        numfmt::grouped(*n)
    }
    fn pct(&self, share: &f64) -> String {
        numfmt::percent(*share)
    }
    fn when(&self, ts: &i64) -> String {
        fanxing_core::training::format_local(*ts)
    }
    fn plan_message(&self, o: &OfficeHome) -> String {
        let gap = o.against_plan();
        let key = if gap < 0 {
            "home.behind_plan"
        } else {
            "home.ahead_of_plan"
        };
        self.ctx.tf(
            key,
            &[
                ("n", &numfmt::count(gap.abs(), self.lang())),
                ("expected", &numfmt::percent(o.expected)),
            ],
        )
    }
    fn role(&self) -> Option<Role> {
        self.ctx.user().map(|a| a.role())
    }
    fn is_partner(&self) -> bool {
        self.role().is_some_and(Role::is_partner)
    }
    fn is_lecturer(&self) -> bool {
        self.role().is_some_and(Role::is_lecturer)
    }
    fn is_registered(&self, m: &MyRegistration) -> bool {
        m.registration.status.as_str() == "registered"
    }
}

/// The latest programme's figures for the office's own region.
async fn office_home(state: &AppState, actor: &Actor) -> PageResult<Option<OfficeHome>> {
    let programmes = state.app.training.programmes(actor).await?;
    let Some(p) = programmes.last() else {
        return Ok(None);
    };
    let d = state.app.reports.dashboard(actor, p.id, None).await?;
    let node = &d.progress.node;
    let start = fanxing_core::training::parse_date(&p.starts_on).unwrap_or(0);
    let end = fanxing_core::training::parse_date(&p.ends_on).unwrap_or(start) + 86_400;
    let expected = ((now() - start) as f64 / (end - start).max(1) as f64).clamp(0.0, 1.0);
    let target = node.targets.total.attendances;
    Ok(Some(OfficeHome {
        programme_id: p.id,
        programme_name: p.name.clone(),
        region: node.region.to_string(),
        region_name: node.name.clone(),
        attendances: node.actuals.total.attendances,
        attendance_target: target,
        sessions: node.actuals.total.sessions,
        session_target: node.targets.total.sessions,
        share: if target > 0 {
            node.actuals.total.attendances as f64 / target as f64
        } else {
            0.0
        },
        expected,
        laggards: d
            .laggards
            .iter()
            .filter(|l| l.gap < 0.0)
            .take(3)
            .cloned()
            .collect(),
        upcoming: d.upcoming.clone(),
    }))
}

async fn trainee_home(state: &AppState, ctx: &Ctx, actor: &Actor) -> PageResult<TraineeHome> {
    let regs = state.app.training.my_registrations(actor).await?;
    let t = now();
    let mut coming: Vec<MyRegistration> = regs
        .iter()
        .filter(|m| {
            m.session.ends_at > t
                && matches!(m.registration.status.as_str(), "registered" | "waitlisted")
                && !matches!(m.session.status.as_str(), "closed" | "cancelled")
        })
        .cloned()
        .collect();
    coming.sort_by_key(|m| m.session.starts_at);
    let all_certificates = state.app.curriculum.my_certificates(actor).await?;
    let (progress, recs) =
        crate::paths::pages::home_card(state, ctx, &regs, &all_certificates).await?;
    let certificates = all_certificates
        .into_iter()
        .filter(|c| c.revoked_at.is_none())
        .collect();
    let rooms = state.app.analytics.rooms(actor, None, 1).await?;
    Ok(TraineeHome {
        progress,
        recs,
        room_count: rooms.total,
        rooms: rooms.items.into_iter().take(3).collect(),
        upcoming: coming.len(),
        next: coming.into_iter().next(),
        attended: regs.iter().filter(|m| m.attended).count(),
        certificates,
    })
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let mut page = HomePage {
        ctx: &ctx,
        overview: None,
        office: None,
        trainee: None,
        venues: None,
        can_create_session: false,
    };
    if let Some(actor) = ctx.user() {
        if actor.role().is_office() {
            page.overview = Some(state.app.people.overview(actor).await?);
            page.office = office_home(&state, actor).await?;
            page.can_create_session = actor.write_range().is_ok();
        }
        if actor.role().is_trainee() && actor.user.person_id.is_some() {
            page.trainee = Some(trainee_home(&state, &ctx, actor).await?);
        }
        if actor.role().is_checkin_staff() {
            let t = now();
            let venues = state
                .app
                .training
                .my_checkin_venues(actor)
                .await?
                .into_iter()
                .filter(|(s, _)| s.ends_at > t)
                .collect();
            page.venues = Some(venues);
        }
    }
    render(&ctx, &page)
}
