//! The application pipeline: 申请 submitted → 受理 accepted → 审批 in review
//! ⇄ 补充材料 more information → 授信 approved or 未通过 declined → 放款/落地
//! disbursed → closed, with the side exits withdrawn and expired.
//!
//! Every state has a label for the partner's staff and one for the
//! applicant, and every move is an [`Action`] that only some actors may
//! take; declining and asking for more information need a comment. A move
//! the table does not allow is refused with the state and the action named.
//! The deadline is counted in working days (the mainland calendar, public
//! holidays and worked weekends included) from when the
//! partner last had the application in hand; [`Action::Expire`] is the
//! timed move a clock takes when the partner misses it, and it escalates
//! the need to the region office.

use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldError};

choice_enum! {
    /// Where an application stands.
    AppState {
        Submitted = "submitted" => "app.submitted",
        Accepted = "accepted" => "app.accepted",
        InReview = "in_review" => "app.in_review",
        MoreInfo = "more_info" => "app.more_info",
        Approved = "approved" => "app.approved",
        Declined = "declined" => "app.declined",
        Disbursed = "disbursed" => "app.disbursed",
        Closed = "closed" => "app.closed",
        Withdrawn = "withdrawn" => "app.withdrawn",
        Expired = "expired" => "app.expired",
    }
}

choice_enum! {
    /// A move from one state to another.
    Action {
        Accept = "accept" => "app.do.accept",
        Review = "review" => "app.do.review",
        AskMore = "ask_more" => "app.do.ask_more",
        Supply = "supply" => "app.do.supply",
        Approve = "approve" => "app.do.approve",
        Decline = "decline" => "app.do.decline",
        Disburse = "disburse" => "app.do.disburse",
        Close = "close" => "app.do.close",
        Withdraw = "withdraw" => "app.do.withdraw",
        Expire = "expire" => "app.do.expire",
    }
}

/// Who takes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The enterprise, or an office acting for it.
    Applicant,
    /// The partner whose offer it is.
    Partner,
    /// The clock.
    System,
}

impl AppState {
    /// Still open: counts against "one active application per offer".
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            AppState::Declined | AppState::Closed | AppState::Withdrawn | AppState::Expired
        )
    }

    /// The partner has to act (its deadline runs).
    pub fn awaits_partner(self) -> bool {
        matches!(
            self,
            AppState::Submitted | AppState::Accepted | AppState::InReview
        )
    }

    /// The label the applicant sees (an i18n key).
    pub fn public_label_key(self) -> &'static str {
        match self {
            AppState::Submitted => "app.pub.submitted",
            AppState::Accepted | AppState::InReview => "app.pub.in_review",
            AppState::MoreInfo => "app.pub.more_info",
            AppState::Approved => "app.pub.approved",
            AppState::Declined => "app.pub.declined",
            AppState::Disbursed => "app.pub.disbursed",
            AppState::Closed => "app.pub.closed",
            AppState::Withdrawn => "app.pub.withdrawn",
            AppState::Expired => "app.pub.expired",
        }
    }
}

/// The allowed moves: (from, action, who, to).
const MOVES: &[(AppState, Action, Actor, AppState)] = {
    use Action::*;
    use AppState::*;
    &[
        (Submitted, Accept, Actor::Partner, Accepted),
        (Submitted, Decline, Actor::Partner, Declined),
        (Accepted, Review, Actor::Partner, InReview),
        (Accepted, Decline, Actor::Partner, Declined),
        (InReview, AskMore, Actor::Partner, MoreInfo),
        (InReview, Approve, Actor::Partner, Approved),
        (InReview, Decline, Actor::Partner, Declined),
        (MoreInfo, Supply, Actor::Applicant, InReview),
        (Approved, Disburse, Actor::Partner, Disbursed),
        (Disbursed, Close, Actor::Partner, Closed),
        (Submitted, Withdraw, Actor::Applicant, Withdrawn),
        (Accepted, Withdraw, Actor::Applicant, Withdrawn),
        (InReview, Withdraw, Actor::Applicant, Withdrawn),
        (MoreInfo, Withdraw, Actor::Applicant, Withdrawn),
        (Approved, Withdraw, Actor::Applicant, Withdrawn),
        (Submitted, Expire, Actor::System, Expired),
        (Accepted, Expire, Actor::System, Expired),
        (InReview, Expire, Actor::System, Expired),
    ]
};

/// The longest comment kept with a move.
pub const COMMENT_MAX: usize = 1000;

/// Checks a move and returns the state it leads to. Declining and asking
/// for more information need a comment.
pub fn next(
    from: AppState,
    action: Action,
    who: Actor,
    comment: Option<&str>,
) -> Result<AppState, Error> {
    let to = MOVES
        .iter()
        .find(|(f, a, w, _)| *f == from && *a == action && *w == who)
        .map(|m| m.3)
        .ok_or_else(|| {
            Error::Invalid(crate::error::FieldErrors(vec![FieldError::new(
                "action",
                "app.illegal",
            )
            .with("state", from.as_str())
            .with("action", action.as_str())]))
        })?;
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if matches!(action, Action::Decline | Action::AskMore) && comment.is_none() {
        return Err(Error::field("comment", "app.comment_required"));
    }
    if comment.is_some_and(|c| c.chars().count() > COMMENT_MAX) {
        return Err(Error::field("comment", "error.too_long"));
    }
    Ok(to)
}

/// The moves `who` may take from `from`, for the buttons a page shows.
pub fn moves_for(from: AppState, who: Actor) -> Vec<Action> {
    MOVES
        .iter()
        .filter(|(f, _, w, _)| *f == from && *w == who)
        .map(|m| m.1)
        .collect()
}

/// `start` plus `days` working days (public holidays and worked weekends
/// included: [`crate::workdays`]), in Unix seconds.
pub fn add_working_days(start: i64, days: i64) -> i64 {
    crate::workdays::add(start, days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppState::*;

    #[test]
    fn the_main_path_runs_from_submission_to_closing() {
        let mut s = Submitted;
        for (action, who, comment) in [
            (Action::Accept, Actor::Partner, None),
            (Action::Review, Actor::Partner, None),
            (Action::AskMore, Actor::Partner, Some("请补充近 6 个月流水")),
            (Action::Supply, Actor::Applicant, None),
            (Action::Approve, Actor::Partner, None),
            (Action::Disburse, Actor::Partner, None),
            (Action::Close, Actor::Partner, None),
        ] {
            s = next(s, action, who, comment).unwrap();
        }
        assert_eq!(s, Closed);
        assert!(!s.is_active());
    }

    #[test]
    fn illegal_moves_and_missing_comments_are_refused() {
        // Approving before review, an applicant approving, disbursing a
        // declined application.
        assert!(next(Submitted, Action::Approve, Actor::Partner, None).is_err());
        assert!(next(InReview, Action::Approve, Actor::Applicant, None).is_err());
        assert!(next(Declined, Action::Disburse, Actor::Partner, None).is_err());
        let e = next(InReview, Action::Decline, Actor::Partner, Some("  ")).unwrap_err();
        assert!(format!("{e:?}").contains("app.comment_required"), "{e:?}");
        assert!(next(InReview, Action::AskMore, Actor::Partner, None).is_err());
        assert_eq!(
            next(
                InReview,
                Action::Decline,
                Actor::Partner,
                Some("经营不足 6 个月")
            )
            .unwrap(),
            Declined
        );
        let long = "字".repeat(COMMENT_MAX + 1);
        assert!(next(InReview, Action::Decline, Actor::Partner, Some(&long)).is_err());
        // Only the clock expires, and only while the partner has to act.
        assert!(next(InReview, Action::Expire, Actor::Partner, None).is_err());
        assert!(next(MoreInfo, Action::Expire, Actor::System, None).is_err());
        assert_eq!(
            next(Accepted, Action::Expire, Actor::System, None).unwrap(),
            Expired
        );
    }

    #[test]
    fn every_state_has_both_labels_and_the_moves_a_page_offers_are_legal() {
        for s in AppState::ALL {
            assert!(s.label_key().starts_with("app."));
            assert!(s.public_label_key().starts_with("app.pub."));
            for who in [Actor::Applicant, Actor::Partner, Actor::System] {
                for a in moves_for(*s, who) {
                    let comment = Some("说明");
                    assert!(next(*s, a, who, comment).is_ok());
                }
            }
        }
        assert_eq!(
            moves_for(InReview, Actor::Partner),
            vec![Action::AskMore, Action::Approve, Action::Decline]
        );
    }

    #[test]
    fn deadlines_skip_weekends() {
        // 2026-12-04 10:00 Beijing is a Friday.
        let friday = 1_796_313_600 + 10 * 3600;
        assert_eq!(add_working_days(friday, 1) - friday, 3 * 86_400);
        assert_eq!(add_working_days(friday, 5) - friday, 7 * 86_400);
        assert_eq!(add_working_days(friday, 0), friday);
    }
}
