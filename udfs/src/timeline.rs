//! One conversation's events in order, and the per-conversation metrics of
//! SPEC.md §2 computed from them in a single forward pass.
//!
//! This is plain Rust with no DataFusion in it: the aggregate in
//! `conversation_metrics.rs` gathers each conversation's events into a
//! [`Event`] list and calls [`metrics`].

/// An interned string (see `Interner`); 0 is NULL.
pub type Sym = u32;

/// `event_type` (SPEC.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Opened,
    Closed,
    AssigneeChanged,
    Message,
    Handover,
    Other,
}

impl Kind {
    pub fn parse(s: &str) -> Kind {
        match s {
            "conversation_opened" => Kind::Opened,
            "conversation_closed" => Kind::Closed,
            "assignee_changed" => Kind::AssigneeChanged,
            "message" => Kind::Message,
            "handover" => Kind::Handover,
            _ => Kind::Other,
        }
    }
}

/// `sender_type` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Contact,
    User,
    Bot,
    Workflow,
    Broadcast,
    Api,
    Integration,
    Other,
}

impl Sender {
    pub fn parse(s: Option<&str>) -> Sender {
        match s {
            Some("contact") => Sender::Contact,
            Some("user") => Sender::User,
            Some("bot") => Sender::Bot,
            Some("workflow") => Sender::Workflow,
            Some("broadcast") => Sender::Broadcast,
            Some("api") => Sender::Api,
            Some("integration") => Sender::Integration,
            _ => Sender::Other,
        }
    }
}

/// `direction` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
    Other,
}

impl Direction {
    pub fn parse(s: Option<&str>) -> Direction {
        match s {
            Some("incoming") => Direction::Incoming,
            Some("outgoing") => Direction::Outgoing,
            _ => Direction::Other,
        }
    }
}

/// The columns of an event the metrics read. Strings of few distinct values
/// (users, teams, sources, channels, categories) are interned; the free-text
/// summary is kept only where present.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Microseconds since the epoch, UTC.
    pub ts: i64,
    pub event_id: Box<str>,
    pub kind: Kind,
    pub direction: Direction,
    pub sender: Sender,
    pub actor: Sym,
    pub assignee: Sym,
    pub team: Sym,
    pub source: Sym,
    pub source_detail: Sym,
    pub channel: Sym,
    pub category: Sym,
    pub summary: Option<Box<str>>,
}

impl Event {
    /// An event with only its order and kind set (the rest NULL); for tests
    /// and builders.
    pub fn new(ts: i64, event_id: &str, kind: Kind) -> Event {
        Event {
            ts,
            event_id: event_id.into(),
            kind,
            direction: Direction::Other,
            sender: Sender::Other,
            actor: 0,
            assignee: 0,
            team: 0,
            source: 0,
            source_detail: 0,
            channel: 0,
            category: 0,
            summary: None,
        }
    }

    fn is_incoming_message(&self) -> bool {
        self.kind == Kind::Message && self.direction == Direction::Incoming
    }

    /// An outgoing message written by a user (agent): the only kind of
    /// message that is a response (SPEC.md §2).
    fn is_user_reply(&self) -> bool {
        self.kind == Kind::Message
            && self.direction == Direction::Outgoing
            && self.sender == Sender::User
    }
}

/// Puts events in `(ts, event_id)` order and drops re-deliveries (a repeated
/// `event_id`, SPEC.md §1.1), keeping the first. Already-ordered input (the
/// usual case on a sorted lake) costs one comparison per event.
pub fn order(events: &mut Vec<Event>) {
    fn key(e: &Event) -> (i64, &str) {
        (e.ts, &e.event_id)
    }
    if !events.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
        events.sort_by(|a, b| key(a).cmp(&key(b)));
    }
    // Identical re-deliveries share `ts`, so they are now adjacent; a
    // re-delivery with another `ts` is caught by the id set below.
    events.dedup_by(|b, a| a.event_id == b.event_id);
    if events.len() < 2 {
        return;
    }
    // Borrowed ids and a fast hash: this runs once per conversation and
    // almost always finds nothing, so it allocates nothing more than the set.
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(events.len(), Default::default());
    if events.iter().all(|e| seen.insert(&*e.event_id)) {
        return;
    }
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(events.len(), Default::default());
    events.retain(|e| seen.insert(e.event_id.clone()));
}

/// Every per-conversation value of SPEC.md §2 that needs the events in
/// order. Timestamps are µs since the epoch; durations are left to SQL.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Metrics {
    pub opened_at: Option<i64>,
    pub opened_source: Sym,
    pub opened_source_detail: Sym,
    pub opened_channel: Sym,
    pub opened_by: Sym,
    /// An assignee was in place at opening (the opening is the first assignment).
    pub assigned_at_opening: bool,
    pub first_assignment_at: Option<i64>,
    pub first_assignee: Sym,
    /// The last assignment, an un-assignment included (then `last_assignee` is 0).
    pub last_assignment_at: Option<i64>,
    pub last_assignee: Sym,
    pub assignments: i64,
    pub first_response_at: Option<i64>,
    pub first_response_by: Sym,
    /// The last assignee's first reply after the last assignment and after
    /// an incoming message linked to it (SPEC.md §2).
    pub last_assignee_response_at: Option<i64>,
    pub responses: i64,
    /// Σ response times, µs.
    pub response_time_total: i64,
    pub incoming_messages: i64,
    pub outgoing_messages: i64,
    /// The first incoming message, and the first user reply after it
    /// (Partoo's pickup delay runs between the two).
    pub first_incoming_at: Option<i64>,
    pub pickup_at: Option<i64>,
    /// The last message, and whether it came from the contact (Partoo's
    /// "waiting" customers).
    pub last_message_at: Option<i64>,
    pub last_message_incoming: bool,
    pub closed_at: Option<i64>,
    pub closed_source: Sym,
    pub closed_by: Sym,
    pub closed_by_team: Sym,
    pub category: Sym,
    pub summary: Option<Box<str>>,
}

/// Computes [`Metrics`] from one conversation's events, already [`order`]ed.
///
/// The conversation runs from its first `conversation_opened` (or its first
/// event, when the lake starts after the opening) to the first
/// `conversation_closed` after that; events outside belong to no metric.
pub fn metrics(events: &[Event]) -> Metrics {
    let mut m = Metrics::default();
    let open = events.iter().position(|e| e.kind == Kind::Opened);
    let start = open.unwrap_or(0);
    let close = events[start..]
        .iter()
        .position(|e| e.kind == Kind::Closed)
        .map(|i| start + i);
    let end = close.map_or(events.len(), |c| c + 1);

    // The assignments: the assignee in place at opening, then each change.
    let mut assignments: Vec<(usize, Sym)> = Vec::new();
    if let Some(o) = open {
        let e = &events[o];
        m.opened_at = Some(e.ts);
        m.opened_source = e.source;
        m.opened_source_detail = e.source_detail;
        m.opened_channel = e.channel;
        m.opened_by = e.actor;
        if e.assignee != 0 {
            m.assigned_at_opening = true;
            assignments.push((o, e.assignee));
        }
    }
    if let Some(c) = close {
        let e = &events[c];
        m.closed_at = Some(e.ts);
        m.closed_source = e.source;
        m.closed_by = e.actor;
        m.closed_by_team = e.team;
        m.category = e.category;
        m.summary = e.summary.clone();
    }

    // For the last-assignment rule: the first incoming message linked to each
    // assignment (by index into `assignments`).
    let mut first_linked: Vec<Option<usize>> = Vec::new();
    first_linked.resize(assignments.len(), None);
    // Incoming messages waiting for an assignment to a user.
    let mut unlinked: Option<usize> = None;
    // The first unanswered incoming message, for response pairing.
    let mut unanswered: Option<i64> = None;

    for (pos, e) in events.iter().enumerate().take(end).skip(start) {
        match e.kind {
            Kind::AssigneeChanged => {
                assignments.push((pos, e.assignee));
                first_linked.push(None);
                if e.assignee != 0
                    && let Some(p) = unlinked.take()
                {
                    *first_linked.last_mut().expect("just pushed") = Some(p);
                }
            }
            Kind::Message if e.is_incoming_message() => {
                m.incoming_messages += 1;
                m.first_incoming_at.get_or_insert(e.ts);
                m.last_message_at = Some(e.ts);
                m.last_message_incoming = true;
                unanswered.get_or_insert(e.ts);
                match assignments.last() {
                    Some(&(_, assignee)) if assignee != 0 => {
                        let link = first_linked.last_mut().expect("one per assignment");
                        link.get_or_insert(pos);
                    }
                    _ => {
                        unlinked.get_or_insert(pos);
                    }
                }
            }
            Kind::Message if e.direction == Direction::Outgoing => {
                if e.sender != Sender::Broadcast {
                    m.outgoing_messages += 1;
                }
                m.last_message_at = Some(e.ts);
                m.last_message_incoming = false;
                if e.is_user_reply() {
                    if m.first_incoming_at.is_some() && m.pickup_at.is_none() {
                        m.pickup_at = Some(e.ts);
                    }
                    if m.first_response_at.is_none() {
                        m.first_response_at = Some(e.ts);
                        m.first_response_by = e.actor;
                    }
                    if let Some(since) = unanswered.take() {
                        m.responses += 1;
                        m.response_time_total += e.ts - since;
                    }
                }
            }
            _ => {}
        }
    }

    m.assignments = assignments.len() as i64;
    if let Some(&(pos, assignee)) = assignments.iter().find(|(_, a)| *a != 0) {
        m.first_assignment_at = Some(events[pos].ts);
        m.first_assignee = assignee;
    }
    if let Some(&(pos, assignee)) = assignments.last() {
        m.last_assignment_at = Some(events[pos].ts);
        m.last_assignee = assignee;
        if assignee != 0
            && let Some(linked) = first_linked[assignments.len() - 1]
        {
            let after = pos.max(linked);
            m.last_assignee_response_at = events[after + 1..end]
                .iter()
                .find(|e| e.is_user_reply() && e.actor == assignee)
                .map(|e| e.ts);
        }
    }
    m
}

/// A bot conversation in Heyday's sense (SPEC.md §2): a run of a
/// conversation's messages with no silence longer than the gap.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub started_at: i64,
    pub ended_at: i64,
    pub messages: i64,
    pub incoming: i64,
    pub bot: i64,
    /// Messages written by users (agents).
    pub agent: i64,
    /// The channel of the session's first message.
    pub channel: Sym,
    /// First incoming message → first user reply after it (µs).
    pub initial_wait: Option<i64>,
}

impl Session {
    /// The contact wrote in it: it starts with an incoming message, or one
    /// follows the bot's (or anyone's) first message. A welcome-only session
    /// is not engaged.
    pub fn engaged(&self) -> bool {
        self.incoming > 0
    }

    /// An agent wrote at least one message in it.
    pub fn answered(&self) -> bool {
        self.agent > 0
    }
}

/// Splits a conversation's messages (already [`order`]ed) into sessions: a
/// new one starts when more than `gap` µs passed since the previous message
/// (exactly `gap` stays in the same session). A conversation is one opening,
/// so every re-opening starts a new session. Messages outside the
/// conversation's span (see [`metrics`]) belong to none.
pub fn sessions(events: &[Event], gap: i64) -> Vec<Session> {
    let open = events.iter().position(|e| e.kind == Kind::Opened);
    let start = open.unwrap_or(0);
    let close = events[start..]
        .iter()
        .position(|e| e.kind == Kind::Closed)
        .map(|i| start + i);
    let end = close.map_or(events.len(), |c| c + 1);
    let mut out: Vec<Session> = Vec::new();
    let mut first_incoming: Option<i64> = None;
    for e in events[start..end]
        .iter()
        .filter(|e| e.kind == Kind::Message)
    {
        let new_session = out.last().is_none_or(|s| e.ts - s.ended_at > gap);
        if new_session {
            first_incoming = None;
            out.push(Session {
                started_at: e.ts,
                ended_at: e.ts,
                messages: 0,
                incoming: 0,
                bot: 0,
                agent: 0,
                channel: e.channel,
                initial_wait: None,
            });
        }
        let s = out.last_mut().expect("pushed above");
        s.ended_at = e.ts;
        s.messages += 1;
        match (e.direction, e.sender) {
            (Direction::Incoming, _) => {
                s.incoming += 1;
                first_incoming.get_or_insert(e.ts);
            }
            (_, Sender::Bot) => s.bot += 1,
            (_, Sender::User) => {
                s.agent += 1;
                if let (Some(t), None) = (first_incoming, s.initial_wait) {
                    s.initial_wait = Some(e.ts - t);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    /// Users and other strings as symbols: A = 1, B = 2.
    const A: Sym = 1;
    const B: Sym = 2;

    fn opened(t: i64) -> Event {
        Event::new(t * MIN, &format!("e{t:04}o"), Kind::Opened)
    }
    fn closed(t: i64) -> Event {
        Event::new(t * MIN, &format!("e{t:04}z"), Kind::Closed)
    }
    fn assign(t: i64, who: Sym) -> Event {
        Event {
            assignee: who,
            ..Event::new(t * MIN, &format!("e{t:04}a"), Kind::AssigneeChanged)
        }
    }
    fn incoming(t: i64) -> Event {
        Event {
            direction: Direction::Incoming,
            sender: Sender::Contact,
            ..Event::new(t * MIN, &format!("e{t:04}i"), Kind::Message)
        }
    }
    fn outgoing(t: i64, sender: Sender, actor: Sym) -> Event {
        Event {
            direction: Direction::Outgoing,
            sender,
            actor,
            ..Event::new(t * MIN, &format!("e{t:04}r"), Kind::Message)
        }
    }

    fn run(mut events: Vec<Event>) -> Metrics {
        order(&mut events);
        metrics(&events)
    }

    #[test]
    fn reassignment_before_the_reply_leaves_last_assignment_to_response_empty() {
        // Seed 000: message, assign A, re-assign B, B replies → "-".
        let m = run(vec![
            opened(0),
            incoming(1),
            assign(2, A),
            assign(3, B),
            outgoing(5, Sender::User, B),
            closed(9),
        ]);
        assert_eq!(m.last_assignee, B);
        assert_eq!(m.last_assignment_at, Some(3 * MIN));
        assert_eq!(m.last_assignee_response_at, None);
        assert_eq!(m.assignments, 2);
        assert_eq!(
            (m.first_assignment_at, m.first_assignee),
            (Some(2 * MIN), A)
        );
        // B's reply is still a response to the message of minute 1.
        assert_eq!((m.responses, m.response_time_total), (1, 4 * MIN));
        assert_eq!(m.first_response_at, Some(5 * MIN));
    }

    #[test]
    fn message_after_the_last_assignment_links_to_it() {
        let m = run(vec![
            opened(0),
            assign(1, A),
            assign(2, B),
            incoming(3),
            outgoing(4, Sender::User, A),
            outgoing(6, Sender::User, B),
            closed(9),
        ]);
        assert_eq!(m.last_assignee_response_at, Some(6 * MIN));
    }

    #[test]
    fn message_while_unassigned_links_to_the_next_assignment() {
        let m = run(vec![
            opened(0),
            incoming(1),
            assign(4, A),
            outgoing(7, Sender::User, A),
            closed(9),
        ]);
        assert_eq!(m.last_assignee_response_at, Some(7 * MIN));
        assert_eq!(m.first_assignment_at, Some(4 * MIN));
        assert!(!m.assigned_at_opening);
    }

    #[test]
    fn assignee_in_place_at_opening_is_the_first_assignment() {
        let mut open = opened(10);
        open.assignee = A;
        let m = run(vec![
            open,
            incoming(11),
            outgoing(15, Sender::User, A),
            closed(20),
        ]);
        assert!(m.assigned_at_opening);
        assert_eq!(
            (m.first_assignment_at, m.first_assignee),
            (Some(10 * MIN), A)
        );
        assert_eq!((m.last_assignment_at, m.last_assignee), (Some(10 * MIN), A));
        assert_eq!(m.assignments, 1);
        assert_eq!(m.last_assignee_response_at, Some(15 * MIN));
    }

    #[test]
    fn unassignment_before_close_is_the_last_assignment() {
        let m = run(vec![
            opened(0),
            assign(1, A),
            incoming(2),
            assign(5, 0),
            closed(9),
        ]);
        assert_eq!(m.assignments, 2);
        assert_eq!((m.last_assignment_at, m.last_assignee), (Some(5 * MIN), 0));
        assert_eq!(m.last_assignee_response_at, None);
        assert_eq!(m.first_assignee, A);
    }

    #[test]
    fn never_assigned() {
        let m = run(vec![opened(0), incoming(1), closed(9)]);
        assert_eq!(
            (m.assignments, m.first_assignment_at, m.last_assignment_at),
            (0, None, None)
        );
    }

    #[test]
    fn bots_workflows_broadcasts_are_not_responses_and_broadcasts_not_outgoing() {
        let m = run(vec![
            opened(0),
            outgoing(1, Sender::Bot, 0),
            incoming(2),
            incoming(3),
            outgoing(4, Sender::Workflow, 0),
            outgoing(5, Sender::Api, 0),
            outgoing(6, Sender::Broadcast, 0),
            outgoing(8, Sender::User, A),
            incoming(10),
            outgoing(11, Sender::User, A),
            outgoing(12, Sender::User, A),
            closed(20),
        ]);
        assert_eq!(m.incoming_messages, 3);
        assert_eq!(
            m.outgoing_messages, 6,
            "bot, workflow, api and three user messages; not the broadcast"
        );
        // Two responses: 2→8 (from the first of two unanswered) and 10→11.
        assert_eq!(m.responses, 2);
        assert_eq!(m.response_time_total, 6 * MIN + MIN);
        assert_eq!(
            (m.first_response_at, m.first_response_by),
            (Some(8 * MIN), A)
        );
    }

    #[test]
    fn duplicates_and_out_of_order_events_count_once() {
        let events = vec![
            closed(9),
            incoming(2),
            opened(0),
            incoming(2),
            outgoing(4, Sender::User, A),
            opened(0),
        ];
        let m = run(events);
        assert_eq!(m.incoming_messages, 1);
        assert_eq!((m.responses, m.response_time_total), (1, 2 * MIN));
        assert_eq!((m.opened_at, m.closed_at), (Some(0), Some(9 * MIN)));
    }

    #[test]
    fn events_outside_the_conversation_belong_to_no_metric() {
        let m = run(vec![
            incoming(0),
            opened(1),
            incoming(2),
            closed(3),
            incoming(4),
            outgoing(5, Sender::User, A),
        ]);
        assert_eq!(m.incoming_messages, 1);
        assert_eq!(m.responses, 0);
        assert_eq!(m.first_response_at, None);
    }

    #[test]
    fn still_open() {
        let m = run(vec![opened(0), incoming(1), outgoing(2, Sender::User, A)]);
        assert_eq!(m.closed_at, None);
        assert_eq!(m.responses, 1);
    }

    #[test]
    fn same_microsecond_is_ordered_by_event_id() {
        // The reply (id "b") and the message (id "a") share a timestamp: "a" is first.
        let msg = Event {
            direction: Direction::Incoming,
            ..Event::new(MIN, "a", Kind::Message)
        };
        let reply = Event {
            direction: Direction::Outgoing,
            sender: Sender::User,
            actor: A,
            ..Event::new(MIN, "b", Kind::Message)
        };
        let m = run(vec![opened(0), reply, msg]);
        assert_eq!((m.responses, m.response_time_total), (1, 0));
    }

    fn bot(t: i64) -> Event {
        outgoing(t, Sender::Bot, 0)
    }

    #[test]
    fn sessions_split_strictly_after_the_gap() {
        let gap = 10 * MIN;
        // 0 welcome, 1 reply; 11 is exactly 10 min after 1: same session;
        // 21 min and 1 µs is more than 10 min after 11: a new one.
        let mut late = incoming(0);
        late.ts = 21 * MIN + 1; // 10 min and 1 µs after minute 11
        late.event_id = "late".into();
        let events = vec![
            opened(0),
            bot(0),
            incoming(1),
            incoming(11),
            late,
            closed(30),
        ];
        let mut events = events;
        order(&mut events);
        let s = sessions(&events, gap);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(
            (s[0].started_at, s[0].ended_at, s[0].messages),
            (0, 11 * MIN, 3)
        );
        assert_eq!(s[1].started_at, 21 * MIN + 1);
        assert!(s[0].engaged() && s[1].engaged());
    }

    #[test]
    fn welcome_only_is_not_engaged_and_agent_replies_answer() {
        let mut events = vec![
            opened(0),
            bot(0),
            bot(30),
            incoming(31),
            outgoing(34, Sender::User, A),
            closed(40),
        ];
        order(&mut events);
        let s = sessions(&events, 10 * MIN);
        assert_eq!(s.len(), 2);
        assert!(!s[0].engaged() && !s[0].answered(), "welcome only");
        assert!(s[1].engaged() && s[1].answered());
        assert_eq!(s[1].initial_wait, Some(3 * MIN));
    }

    #[test]
    fn pickup_and_waiting() {
        let m = run(vec![
            opened(0),
            outgoing(1, Sender::User, A),
            incoming(2),
            incoming(3),
            outgoing(7, Sender::User, A),
            incoming(9),
        ]);
        assert_eq!(
            (m.first_incoming_at, m.pickup_at),
            (Some(2 * MIN), Some(7 * MIN))
        );
        assert_eq!(
            (m.last_message_at, m.last_message_incoming),
            (Some(9 * MIN), true)
        );
    }
}
