//! `Fanxing`: the feature services put together, each over the store
//! contracts it needs. The web layer and the CLI call the feature service
//! (`app.training.register(…)`); each method takes the [`Actor`] first,
//! asks [`crate::auth`] what it may touch, validates input, and only then
//! talks to its stores. Handlers stay thin: parse the request, call one
//! method, render the result.
//!
//! [`Actor`]: crate::auth::Actor

use std::sync::Arc;

use crate::analytics::service::AnalyticsService;
use crate::analytics::store::AnalyticsStore;
use crate::audit::{Audit, AuditStore};
use crate::cache::TtlCache;
use crate::compliance::service::ComplianceService;
use crate::compliance::store::ComplianceStore;
use crate::curriculum::service::CurriculumService;
use crate::curriculum::store::CurriculumStore;
use crate::knowledge::search::SearchIndex;
use crate::knowledge::service::KnowledgeService;
use crate::knowledge::store::KnowledgeStore;
use crate::matching::store::MatchingStore;
use crate::paths::service::PathService;
use crate::paths::store::PathStore;
use crate::people::accounts::AccountService;
use crate::people::service::PeopleService;
use crate::people::store::{AccountStore, PeopleStore};
use crate::reports::service::ReportService;
use crate::security::FieldCipher;
use crate::training::service::TrainingService;
use crate::training::store::{CheckinStore, TrainingStore};

/// Every store contract, each over the same database (the one
/// implementation in `fanxing-store`, or a test's fake).
#[derive(Clone)]
pub struct Stores {
    pub people: Arc<dyn PeopleStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub audit: Arc<dyn AuditStore>,
    pub training: Arc<dyn TrainingStore>,
    pub checkins: Arc<dyn CheckinStore>,
    pub curriculum: Arc<dyn CurriculumStore>,
    pub analytics: Arc<dyn AnalyticsStore>,
    pub matching: Arc<dyn MatchingStore>,
    pub compliance: Arc<dyn ComplianceStore>,
    pub knowledge: Arc<dyn KnowledgeStore>,
    pub paths: Arc<dyn PathStore>,
}

impl Stores {
    /// One value serving every contract.
    pub fn of<S>(store: Arc<S>) -> Stores
    where
        S: PeopleStore
            + AccountStore
            + AuditStore
            + TrainingStore
            + CheckinStore
            + CurriculumStore
            + AnalyticsStore
            + MatchingStore
            + ComplianceStore
            + KnowledgeStore
            + PathStore
            + 'static,
    {
        Stores {
            people: store.clone(),
            accounts: store.clone(),
            audit: store.clone(),
            training: store.clone(),
            checkins: store.clone(),
            curriculum: store.clone(),
            analytics: store.clone(),
            matching: store.clone(),
            compliance: store.clone(),
            knowledge: store.clone(),
            paths: store,
        }
    }
}

/// The feature services. Cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Fanxing {
    pub people: PeopleService,
    pub accounts: AccountService,
    pub training: TrainingService,
    pub curriculum: CurriculumService,
    pub analytics: AnalyticsService,
    pub reports: ReportService,
    pub compliance: ComplianceService,
    pub knowledge: KnowledgeService,
    pub paths: PathService,
    pub audit: Audit,
    /// The stores themselves, for the CLI's seeding and maintenance.
    pub stores: Stores,
}

impl Fanxing {
    /// `search` is this server's index of the knowledge library.
    pub fn new(stores: Stores, cipher: FieldCipher, search: Arc<dyn SearchIndex>) -> Fanxing {
        let audit = Audit::new(stores.audit.clone());
        let dashboards = Arc::new(TtlCache::new(crate::reports::service::DASHBOARD_TTL));
        let people = PeopleService::new(stores.people.clone(), audit.clone(), cipher.clone());
        let accounts = AccountService::new(
            stores.accounts.clone(),
            stores.people.clone(),
            audit.clone(),
        );
        let curriculum = CurriculumService::new(
            stores.curriculum.clone(),
            stores.accounts.clone(),
            audit.clone(),
        );
        let training = TrainingService::new(
            stores.training.clone(),
            stores.checkins.clone(),
            stores.people.clone(),
            audit.clone(),
            cipher.clone(),
            curriculum.clone(),
            dashboards.clone(),
        );
        let analytics = AnalyticsService::new(
            stores.analytics.clone(),
            stores.training.clone(),
            stores.people.clone(),
            audit.clone(),
        );
        let reports = ReportService::new(
            stores.training.clone(),
            stores.checkins.clone(),
            training.clone(),
            audit.clone(),
            cipher,
            dashboards,
        );
        let compliance = ComplianceService::new(stores.compliance.clone(), stores.people.clone());
        let knowledge = KnowledgeService::new(
            stores.knowledge.clone(),
            stores.people.clone(),
            stores.curriculum.clone(),
            audit.clone(),
            search,
        );
        let paths = PathService::new(
            stores.paths.clone(),
            stores.analytics.clone(),
            stores.training.clone(),
            stores.people.clone(),
            stores.curriculum.clone(),
            audit.clone(),
        );
        Fanxing {
            paths,
            compliance,
            knowledge,
            people,
            accounts,
            training,
            curriculum,
            analytics,
            reports,
            audit,
            stores,
        }
    }
}
