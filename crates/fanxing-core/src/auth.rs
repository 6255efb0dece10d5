//! Who may do what: roles, the acting user, and the one place where access is
//! decided.
//!
//! Every read of people or organisations goes through [`Actor::people_access`]
//! or [`Actor::org_access`], which yield an [`Access`] that the store turns
//! into a `WHERE` clause. A handler cannot ask the store for "everything":
//! there is no unscoped list method on the service.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::people::{OrgId, PersonId, UserId};
use crate::region::{RegionCode, RegionRange};

/// The roles of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The provincial programme office: sees and plans everything.
    ProgrammeOffice,
    /// A prefecture-level city office: its city and counties.
    CityOffice,
    /// A county-level office: its county.
    CountyOffice,
    /// A lecturer or training provider: its courses and sessions.
    Lecturer,
    /// Check-in staff: one venue of one session.
    Checkin,
    /// A trainee: only themself.
    Trainee,
    /// A bank, platform, base or service firm: its own offers and applications.
    Partner,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::ProgrammeOffice,
        Role::CityOffice,
        Role::CountyOffice,
        Role::Lecturer,
        Role::Checkin,
        Role::Trainee,
        Role::Partner,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProgrammeOffice => "programme_office",
            Role::CityOffice => "city_office",
            Role::CountyOffice => "county_office",
            Role::Lecturer => "lecturer",
            Role::Checkin => "checkin",
            Role::Trainee => "trainee",
            Role::Partner => "partner",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Role::ProgrammeOffice => "role.programme_office",
            Role::CityOffice => "role.city_office",
            Role::CountyOffice => "role.county_office",
            Role::Lecturer => "role.lecturer",
            Role::Checkin => "role.checkin",
            Role::Trainee => "role.trainee",
            Role::Partner => "role.partner",
        }
    }

    /// Offices manage people and organisations in a region subtree.
    pub fn is_office(self) -> bool {
        matches!(
            self,
            Role::ProgrammeOffice | Role::CityOffice | Role::CountyOffice
        )
    }

    /// The province's programme office: the framework, programmes, the
    /// audit log and the certificates' issuer are its alone.
    pub fn is_programme_office(self) -> bool {
        self == Role::ProgrammeOffice
    }

    /// A partner's account (a bank, platform, base or service firm).
    pub fn is_partner(self) -> bool {
        self == Role::Partner
    }

    /// A trainee's account.
    pub fn is_trainee(self) -> bool {
        self == Role::Trainee
    }

    /// A lecturer's account.
    pub fn is_lecturer(self) -> bool {
        self == Role::Lecturer
    }

    /// Check-in staff's account.
    pub fn is_checkin_staff(self) -> bool {
        self == Role::Checkin
    }

    /// Who may use the compliance checker: trainees (the operators who
    /// write scripts and titles) and offices.
    pub fn may_check_compliance(self) -> bool {
        self.is_trainee() || self.is_office()
    }

    /// Who may open a venue's check-in: its staff and offices.
    pub fn may_check_in(self) -> bool {
        self.is_checkin_staff() || self.is_office()
    }
}

/// A user account as the domain sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The region an office governs (province, city or county code).
    pub region: Option<RegionCode>,
    /// The person this account belongs to (trainees, lecturers, staff).
    pub person_id: Option<PersonId>,
    /// The organisation a partner account acts for.
    pub org_id: Option<OrgId>,
}

/// See [`Actor::library_reader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibraryReader {
    All,
    Office(RegionCode),
    Member,
}

/// The caller of an operation. Built only from an authenticated session or
/// token, never from request input.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub user: User,
}

/// What part of a table the caller may see; the store turns it into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Rows whose region lies in this range.
    Regions(RegionRange),
    /// Exactly one person.
    Person(PersonId),
    /// One organisation (and, for people, that organisation's members).
    Org(OrgId),
}

impl Actor {
    pub fn new(user: User) -> Actor {
        Actor { user }
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The region range an office governs; `None` for other roles or an
    /// office account with no region (which can then see nothing).
    pub fn office_range(&self) -> Option<RegionRange> {
        if !self.user.role.is_office() {
            return None;
        }
        self.user.region.map(RegionCode::subtree)
    }

    /// Which people the caller may read.
    pub fn people_access(&self) -> Result<Access> {
        if let Some(range) = self.office_range() {
            return Ok(Access::Regions(range));
        }
        match (self.user.role, self.user.person_id) {
            (Role::Trainee | Role::Lecturer | Role::Checkin, Some(id)) => Ok(Access::Person(id)),
            _ => Err(Error::Forbidden),
        }
    }

    /// Whether the caller may list people (more than themself).
    pub fn can_list_people(&self) -> bool {
        self.office_range().is_some()
    }

    /// Which organisations the caller may read.
    pub fn org_access(&self) -> Result<Access> {
        if let Some(range) = self.office_range() {
            return Ok(Access::Regions(range));
        }
        match (self.user.role, self.user.org_id) {
            (Role::Partner | Role::Trainee | Role::Lecturer, Some(id)) => Ok(Access::Org(id)),
            _ => Err(Error::Forbidden),
        }
    }

    /// Whether a link to organisation `org` (in `region`, when known) leads
    /// the caller somewhere: offices over its region, or the one
    /// organisation the caller belongs to. Pages show such links only then,
    /// so no one is shown a link that answers "forbidden".
    pub fn may_open_org(&self, org: OrgId, region: Option<RegionCode>) -> bool {
        match self.org_access() {
            Ok(Access::Regions(range)) => region.is_none_or(|r| range.contains(r)),
            Ok(Access::Org(id)) => id == org,
            _ => false,
        }
    }

    /// How the caller reads the knowledge library: the province's
    /// programme office reads everything published, another office what
    /// lies above or within its region, everyone else as a member of the
    /// programme in their own region.
    pub fn library_reader(&self) -> LibraryReader {
        match self.office_range() {
            Some(_) if self.user.role.is_programme_office() => LibraryReader::All,
            Some(_) => match self.user.region {
                Some(r) => LibraryReader::Office(r),
                None => LibraryReader::Member,
            },
            None => LibraryReader::Member,
        }
    }

    /// The range in which the caller may create or change people and
    /// organisations: offices only.
    pub fn write_range(&self) -> Result<RegionRange> {
        self.office_range().ok_or(Error::Forbidden)
    }

    /// Who may add materials to a course: its lecturer, the office that
    /// owns it and the offices above it (the programme office for courses
    /// without an owner, and for every course).
    pub fn may_edit_course(
        &self,
        lecturer: Option<UserId>,
        owner_region: Option<RegionCode>,
    ) -> bool {
        match self.user.role {
            Role::Lecturer => lecturer == Some(self.user.id),
            Role::ProgrammeOffice => true,
            r if r.is_office() => match (owner_region, self.write_range()) {
                (Some(owner), Ok(range)) => range.contains(owner),
                _ => false,
            },
            _ => false,
        }
    }

    /// The owner recorded on a course this office creates: its own region,
    /// or none for the programme office (the province's curriculum).
    pub fn course_owner_region(&self) -> Option<RegionCode> {
        match self.user.role {
            Role::ProgrammeOffice => None,
            _ => self.user.region,
        }
    }

    /// Whether the caller may check people in at a venue: its staff
    /// (`is_staff`), or an office over the venue or its session.
    pub fn may_check_in_at(
        &self,
        is_staff: bool,
        venue_region: RegionCode,
        session_region: RegionCode,
    ) -> bool {
        match self.user.role {
            Role::Checkin => is_staff,
            r if r.is_office() => self
                .write_range()
                .map(|range| range.contains(venue_region) || range.contains(session_region))
                .unwrap_or(false),
            _ => false,
        }
    }

    /// Whether the caller may check texts for compliance.
    pub fn may_check_compliance(&self) -> bool {
        self.user.role.may_check_compliance()
    }

    /// Whether the caller may see full mobile and ID numbers (after an
    /// explicit, audited request). Only offices have that need.
    pub fn may_reveal_personal_numbers(&self) -> bool {
        self.user.role.is_office()
    }

    /// Regions whose statistics the caller may read.
    pub fn stats_range(&self) -> Result<RegionRange> {
        self.office_range().ok_or(Error::Forbidden)
    }

    /// The region a statistics request is about: `region`, or the caller's
    /// own when `None`; forbidden outside the caller's statistics scope.
    pub fn stats_region(&self, region: Option<RegionCode>) -> Result<RegionCode> {
        let scope = self.stats_range()?;
        let code = match region {
            Some(r) => r,
            None => self.user.region.ok_or(Error::Forbidden)?,
        };
        if scope.contains(code) {
            Ok(code)
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl Actor {
    /// The accounts the caller may manage (disable, enable, lift a log-in
    /// lock): the programme office every account but its own; a city or
    /// county office the accounts of roles below it whose region (their
    /// own, their person's or their organisation's) lies in its subtree.
    /// `None` for everyone else. Returns the range (`None`: anywhere, with
    /// or without a region) and the roles.
    pub fn account_scope(&self) -> Option<(Option<RegionRange>, &'static [Role])> {
        const BELOW_CITY: &[Role] = &[
            Role::CountyOffice,
            Role::Lecturer,
            Role::Checkin,
            Role::Trainee,
            Role::Partner,
        ];
        match self.user.role {
            Role::ProgrammeOffice => Some((None, Role::ALL)),
            Role::CityOffice => Some((Some(self.office_range()?), BELOW_CITY)),
            Role::CountyOffice => Some((Some(self.office_range()?), &BELOW_CITY[1..])),
            _ => None,
        }
    }

    /// Whether the caller may manage the account of `role` in `region`
    /// (see [`Actor::account_scope`]); never their own.
    pub fn may_manage_account(&self, id: UserId, role: Role, region: Option<RegionCode>) -> bool {
        if id == self.user.id {
            return false;
        }
        match self.account_scope() {
            Some((range, roles)) => {
                roles.contains(&role)
                    && match range {
                        None => true,
                        Some(r) => region.is_some_and(|c| r.contains(c)),
                    }
            }
            None => false,
        }
    }
}

/// Checks that `region` lies within `range`, as a field error on `field`.
pub fn require_in_range(range: RegionRange, region: RegionCode, field: &'static str) -> Result<()> {
    if range.contains(region) {
        Ok(())
    } else {
        Err(Error::field(field, "error.region_scope"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, region: Option<&str>) -> Actor {
        Actor::new(User {
            id: UserId(1),
            username: "u".into(),
            display_name: "u".into(),
            role,
            region: region.and_then(RegionCode::parse),
            person_id: Some(PersonId(9)),
            org_id: Some(OrgId(4)),
        })
    }

    #[test]
    fn offices_see_their_subtree() {
        let suzhou = user(Role::CityOffice, Some("320500"));
        let Access::Regions(r) = suzhou.people_access().unwrap() else {
            panic!()
        };
        assert!(r.contains(RegionCode::parse("320583").unwrap()));
        assert!(!r.contains(RegionCode::parse("320102").unwrap()));
        assert!(suzhou.can_list_people());
    }

    #[test]
    fn non_offices_see_only_themselves() {
        assert_eq!(
            user(Role::Trainee, None).people_access().unwrap(),
            Access::Person(PersonId(9))
        );
        assert!(user(Role::Partner, None).people_access().is_err());
        assert_eq!(
            user(Role::Partner, None).org_access().unwrap(),
            Access::Org(OrgId(4))
        );
        assert!(user(Role::Checkin, None).write_range().is_err());
        assert!(!user(Role::Trainee, None).may_reveal_personal_numbers());
    }

    #[test]
    fn org_links_only_where_they_open() {
        let code = |c| RegionCode::parse(c);
        let suzhou = user(Role::CityOffice, Some("320500"));
        assert!(suzhou.may_open_org(OrgId(77), code("320583")));
        assert!(!suzhou.may_open_org(OrgId(77), code("320102")));
        assert!(user(Role::Trainee, None).may_open_org(OrgId(4), None));
        assert!(!user(Role::Trainee, None).may_open_org(OrgId(5), None));
        // Check-in staff see no organisation page, not even their own.
        assert!(!user(Role::Checkin, None).may_open_org(OrgId(4), None));
    }

    #[test]
    fn offices_manage_accounts_below_them_in_their_region() {
        let code = |c| RegionCode::parse(c);
        let suzhou = user(Role::CityOffice, Some("320500"));
        assert!(suzhou.may_manage_account(UserId(7), Role::Trainee, code("320583")));
        assert!(suzhou.may_manage_account(UserId(7), Role::CountyOffice, code("320583")));
        assert!(!suzhou.may_manage_account(UserId(7), Role::CityOffice, code("320500")));
        assert!(!suzhou.may_manage_account(UserId(7), Role::ProgrammeOffice, code("320000")));
        assert!(!suzhou.may_manage_account(UserId(7), Role::Trainee, code("320102")));
        assert!(!suzhou.may_manage_account(UserId(7), Role::Lecturer, None));
        assert!(
            !suzhou.may_manage_account(UserId(1), Role::Trainee, code("320583")),
            "not oneself"
        );
        let kunshan = user(Role::CountyOffice, Some("320583"));
        assert!(!kunshan.may_manage_account(UserId(7), Role::CountyOffice, code("320583")));
        assert!(kunshan.may_manage_account(UserId(7), Role::Partner, code("320583")));
        let admin = user(Role::ProgrammeOffice, Some("320000"));
        assert!(admin.may_manage_account(UserId(7), Role::ProgrammeOffice, None));
        assert!(user(Role::Trainee, None).account_scope().is_none());
    }

    #[test]
    fn office_without_region_sees_nothing() {
        assert!(user(Role::CityOffice, None).people_access().is_err());
    }
}

#[cfg(test)]
mod one_place {
    /// Access is decided here and nowhere else: no service or handler
    /// compares roles itself (it asks a named method of `Role` or `Actor`).
    #[test]
    fn no_role_comparison_outside_auth() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("src"), root.join("../fanxing-web/src")];
        let mut found = Vec::new();
        let mut files = 0;
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                if p.extension().is_none_or(|x| x != "rs") || p.ends_with("auth.rs") {
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(&p).unwrap();
                // Tests may compare what they like.
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                for (n, line) in code.lines().enumerate() {
                    let l = line.split("//").next().unwrap_or("");
                    let compares = [
                        "== Role::",
                        "!= Role::",
                        "Some(Role::",
                        "role() ==",
                        "role() !=",
                        ".role ==",
                        ".role !=",
                        "matches!(actor.role",
                        "matches!(role",
                        "match actor.role()",
                    ]
                    .iter()
                    .any(|pat| l.contains(pat));
                    if compares {
                        found.push(format!("{}:{}: {}", p.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(files > 30, "only {files} files read");
        assert!(
            found.is_empty(),
            "role comparisons outside auth:\n{}",
            found.join("\n")
        );
    }

    /// SQL lives in `fanxing-store` only, and handlers reach the stores
    /// only through the feature services.
    #[test]
    fn no_sql_outside_the_store_and_no_store_in_handlers() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![
            root.join("src"),
            root.join("../fanxing-web/src"),
            root.join("../fanxing/src"),
            root.join("../fanxing-demo/src"),
        ];
        let mut found = Vec::new();
        let mut files = 0;
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                if p.extension().is_none_or(|x| x != "rs") || p.ends_with("auth.rs") {
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(&p).unwrap();
                let web = p.to_string_lossy().contains("fanxing-web");
                for (n, line) in text.lines().enumerate() {
                    let l = line.split("//").next().unwrap_or("");
                    let sql = [
                        "\"SELECT ",
                        "\"INSERT INTO",
                        "\"UPDATE ",
                        "\"DELETE FROM",
                        "\"CREATE TABLE",
                        "\"CREATE INDEX",
                        "sqlx::query",
                    ]
                    .iter()
                    .any(|pat| l.contains(pat));
                    let store = web && (l.contains(".stores.") || l.contains("store()"));
                    if sql || store {
                        found.push(format!("{}:{}: {}", p.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(files > 40, "only {files} files read");
        assert!(
            found.is_empty(),
            "SQL outside fanxing-store, or a handler reading a store:\n{}",
            found.join("\n")
        );
    }
}
