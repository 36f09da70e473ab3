//! The contact vocabulary on the wire: each domain enum crosses by name
//! (`CHANNEL_SMS` ↔ `Channel::Sms`, stored as `SMS`), for replies and events alike.

use hospital_proto::contact as pb;
use service_kit::wire_enum;

use crate::domain::followup_vocab::{
    CallOutcome, EscalationLevel, LeadStatus, PlanKind, PlanStatus, Segment, Skill, SurveyStatus,
    TaskStatus, TeamLevel, VisitOutcome,
};
use crate::domain::vocab::{
    Channel, ConsentMethod, DeliveryOutcome, Gender, MessageStatus, Need, Purpose, ReminderKind,
    ReminderStatus,
};

wire_enum!(channel_in, channel_out, pb::Channel, Channel, "CHANNEL_");
wire_enum!(purpose_in, purpose_out, pb::Purpose, Purpose, "PURPOSE_");
wire_enum!(
    method_in,
    method_out,
    pb::ConsentMethod,
    ConsentMethod,
    "CONSENT_METHOD_"
);
wire_enum!(gender_in, gender_out, pb::Gender, Gender, "GENDER_");
wire_enum!(need_in, need_out, pb::Need, Need, "NEED_");
wire_enum!(
    kind_in,
    kind_out,
    pb::ReminderKind,
    ReminderKind,
    "REMINDER_KIND_"
);
wire_enum!(
    reminder_status_in,
    reminder_status_out,
    pb::ReminderStatus,
    ReminderStatus,
    "REMINDER_STATUS_"
);
wire_enum!(
    message_status_in,
    message_status_out,
    pb::MessageStatus,
    MessageStatus,
    "MESSAGE_STATUS_"
);
wire_enum!(
    outcome_in,
    outcome_out,
    pb::DeliveryOutcome,
    DeliveryOutcome,
    "DELIVERY_OUTCOME_"
);

wire_enum!(
    visit_outcome_in,
    visit_outcome_out,
    pb::VisitOutcome,
    VisitOutcome,
    "VISIT_OUTCOME_"
);
wire_enum!(
    plan_kind_in,
    plan_kind_out,
    pb::PlanKind,
    PlanKind,
    "PLAN_KIND_"
);
wire_enum!(
    plan_status_in,
    plan_status_out,
    pb::PlanStatus,
    PlanStatus,
    "PLAN_STATUS_"
);
wire_enum!(skill_in, skill_out, pb::Skill, Skill, "SKILL_");
wire_enum!(
    team_level_in,
    team_level_out,
    pb::TeamLevel,
    TeamLevel,
    "TEAM_LEVEL_"
);
wire_enum!(
    task_status_in,
    task_status_out,
    pb::TaskStatus,
    TaskStatus,
    "TASK_STATUS_"
);
wire_enum!(
    call_outcome_in,
    call_outcome_out,
    pb::CallOutcome,
    CallOutcome,
    "CALL_OUTCOME_"
);
wire_enum!(
    escalation_in,
    escalation_out,
    pb::EscalationLevel,
    EscalationLevel,
    "ESCALATION_LEVEL_"
);
wire_enum!(segment_in, segment_out, pb::Segment, Segment, "SEGMENT_");
wire_enum!(
    lead_status_in,
    lead_status_out,
    pb::LeadStatus,
    LeadStatus,
    "LEAD_STATUS_"
);
wire_enum!(
    survey_status_in,
    survey_status_out,
    pb::SurveyStatus,
    SurveyStatus,
    "SURVEY_STATUS_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_crosses_both_ways() {
        for c in Channel::ALL {
            assert_eq!(channel_in(channel_out(*c)), Some(*c));
        }
        for p in Purpose::ALL {
            assert_eq!(purpose_in(purpose_out(*p)), Some(*p));
        }
        for m in ConsentMethod::ALL {
            assert_eq!(method_in(method_out(*m)), Some(*m));
        }
        for g in Gender::ALL {
            assert_eq!(gender_in(gender_out(*g)), Some(*g));
        }
        for n in Need::ALL {
            assert_eq!(need_in(need_out(*n)), Some(*n));
        }
        for k in ReminderKind::ALL {
            assert_eq!(kind_in(kind_out(*k)), Some(*k));
        }
        for s in ReminderStatus::ALL {
            assert_eq!(reminder_status_in(reminder_status_out(*s)), Some(*s));
        }
        for s in MessageStatus::ALL {
            assert_eq!(message_status_in(message_status_out(*s)), Some(*s));
        }
        for o in DeliveryOutcome::ALL {
            assert_eq!(outcome_in(outcome_out(*o)), Some(*o));
        }
        for x in VisitOutcome::ALL {
            assert_eq!(visit_outcome_in(visit_outcome_out(*x)), Some(*x));
        }
        for x in PlanKind::ALL {
            assert_eq!(plan_kind_in(plan_kind_out(*x)), Some(*x));
        }
        for x in PlanStatus::ALL {
            assert_eq!(plan_status_in(plan_status_out(*x)), Some(*x));
        }
        for x in Skill::ALL {
            assert_eq!(skill_in(skill_out(*x)), Some(*x));
        }
        for x in TeamLevel::ALL {
            assert_eq!(team_level_in(team_level_out(*x)), Some(*x));
        }
        for x in TaskStatus::ALL {
            assert_eq!(task_status_in(task_status_out(*x)), Some(*x));
        }
        for x in CallOutcome::ALL {
            assert_eq!(call_outcome_in(call_outcome_out(*x)), Some(*x));
        }
        for x in EscalationLevel::ALL {
            assert_eq!(escalation_in(escalation_out(*x)), Some(*x));
        }
        for x in Segment::ALL {
            assert_eq!(segment_in(segment_out(*x)), Some(*x));
        }
        for x in LeadStatus::ALL {
            assert_eq!(lead_status_in(lead_status_out(*x)), Some(*x));
        }
        for x in SurveyStatus::ALL {
            assert_eq!(survey_status_in(survey_status_out(*x)), Some(*x));
        }
    }
}
