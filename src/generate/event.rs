//! The compact form of an event while a lake is drawn: ids as numbers,
//! enumerations as codes into the string tables below (0 = NULL), rendered
//! as strings only when written.

pub(super) const SEC: i64 = 1_000_000;
pub(super) const MIN: i64 = 60 * SEC;
pub(super) const HOUR: i64 = 60 * MIN;
pub(super) const DAY: i64 = 24 * HOUR;

/// Share of events delivered late (in the day's `late-WWW.parquet`).
pub(super) const LATE_RATE: f64 = 0.002;
/// Share of events delivered twice.
pub(super) const DUPLICATE_RATE: f64 = 0.003;

/// "No value" for the id columns of [`Ev`].
pub(super) const NONE: u32 = u32::MAX;

// Codes of the low-cardinality columns: an index into these tables, 0 = NULL.
pub(super) const EVENT_TYPES: [&str; 5] = [
    "conversation_opened",
    "conversation_closed",
    "assignee_changed",
    "message",
    "handover",
];
pub(super) const OPENED: u8 = 0;
pub(super) const CLOSED: u8 = 1;
pub(super) const ASSIGNED: u8 = 2;
pub(super) const MESSAGE: u8 = 3;
pub(super) const HANDOVER: u8 = 4;

pub(super) const SOURCES: [&str; 12] = [
    "",
    "user",
    "contact",
    "workflow",
    "api",
    "zapier",
    "make",
    "paid_ads",
    "bot",
    "blocked",
    "contact_merged",
    "contact_deleted",
];
pub(super) const S_USER: u8 = 1;
pub(super) const S_CONTACT: u8 = 2;
pub(super) const S_WORKFLOW: u8 = 3;
pub(super) const S_API: u8 = 4;
pub(super) const S_ZAPIER: u8 = 5;
pub(super) const S_MAKE: u8 = 6;
pub(super) const S_PAID_ADS: u8 = 7;
pub(super) const S_BOT: u8 = 8;
pub(super) const S_BLOCKED: u8 = 9;
pub(super) const S_MERGED: u8 = 10;
pub(super) const S_DELETED: u8 = 11;

pub(super) const DETAILS: [&str; 3] = ["", "meta", "tiktok"];
pub(super) const D_META: u8 = 1;
pub(super) const D_TIKTOK: u8 = 2;

pub(super) const DIRECTIONS: [&str; 3] = ["", "incoming", "outgoing"];
pub(super) const INCOMING: u8 = 1;
pub(super) const OUTGOING: u8 = 2;

pub(super) const SENDERS: [&str; 8] = [
    "",
    "contact",
    "user",
    "bot",
    "workflow",
    "broadcast",
    "api",
    "integration",
];
pub(super) const BY_CONTACT: u8 = 1;
pub(super) const BY_USER: u8 = 2;
pub(super) const BY_BOT: u8 = 3;
pub(super) const BY_WORKFLOW: u8 = 4;
pub(super) const BY_BROADCAST: u8 = 5;
pub(super) const BY_API: u8 = 6;
pub(super) const BY_INTEGRATION: u8 = 7;

pub(super) const CATEGORIES: [&str; 7] = [
    "",
    "Support",
    "Sales",
    "Billing",
    "Technical",
    "Feedback",
    "Spam",
];
pub(super) const C_SPAM: u8 = 6;

/// Closing-note summaries, by category (index into [`SUMMARIES`]).
pub(super) const SUMMARIES: [&str; 20] = [
    "",
    "Order status given",
    "Delivery address changed",
    "Product question answered",
    "Appointment booked",
    "Quote sent",
    "Interested, follow up next week",
    "Upgraded to premium plan",
    "Refund issued",
    "Invoice copy sent",
    "Payment method updated",
    "Login issue fixed",
    "Bug reported to product team",
    "Configuration explained",
    "Positive feedback",
    "Complaint about waiting time",
    "Spam message",
    "Duplicate conversation",
    "No answer from customer",
    "Resolved by chatbot",
];
pub(super) const SUMMARY_NO_ANSWER: u8 = 18;
pub(super) const SUMMARY_BY_BOT: u8 = 19;
pub(super) const SUMMARY_SPAM: u8 = 16;
pub(super) const SUMMARY_DUPLICATE: u8 = 17;
/// For category `c` (1-based), the range of its summaries.
pub(super) const SUMMARY_RANGES: [(u8, u8); 7] = [
    (0, 0),
    (1, 4),
    (4, 8),
    (8, 11),
    (11, 14),
    (14, 16),
    (16, 18),
];

pub(super) const HANDOVER_STATUSES: [&str; 5] =
    ["", "successful", "cancelled", "disabled", "incomplete"];
pub(super) const H_SUCCESSFUL: u8 = 1;
pub(super) const H_CANCELLED: u8 = 2;
pub(super) const H_DISABLED: u8 = 3;
pub(super) const H_INCOMPLETE: u8 = 4;

/// One event, compact: ids are numbers (rendered as strings when written),
/// enumerations are codes into the tables above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ev {
    pub ts: i64,
    pub conversation: u64,
    pub seq: u64,
    /// Message number, 0 when not a message.
    pub message: u64,
    pub contact: u32,
    pub ws: u16,
    pub kind: u8,
    pub source: u8,
    pub detail: u8,
    pub direction: u8,
    pub sender: u8,
    pub category: u8,
    pub summary: u8,
    pub handover: u8,
    pub channel: u32,
    pub actor: u32,
    pub team: u32,
    pub assignee: u32,
    pub establishment: u32,
}

impl Ev {
    /// The order of rows inside an events file.
    pub fn sort_key(&self) -> (u16, u64, i64, u64) {
        (self.ws, self.conversation, self.ts, self.seq)
    }
}
