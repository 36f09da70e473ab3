//! The contact vocabulary on the wire: each domain enum crosses by name
//! (`CHANNEL_SMS` ↔ `Channel::Sms`, stored as `SMS`), for replies and events alike.

use hospital_proto::contact as pb;
use service_kit::wire_enum;

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
    }
}
