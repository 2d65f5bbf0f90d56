//! One conversation at a time: who the contact is, how it was opened, the
//! bot phase, assignments, messages and the close, as compact events.

use chrono::{Datelike, NaiveDateTime, Offset, TimeZone, Timelike};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::event::*;
use super::world::{World, pick};

/// A contact met for the first time, for the `contacts` table.
pub(super) struct NewContact {
    pub ws: u16,
    pub local: u32,
    pub name: String,
    pub created_at: i64,
    pub first_conversation_at: Option<i64>,
    pub establishment: u32,
}

/// How a conversation ends.
enum End {
    /// Closed by an agent or the other closing sources.
    Agent,
    /// Closed by the chatbot after inactivity.
    Bot,
    /// Closed by the automation that opened it.
    Automation(u8),
    /// Still open when the lake ends.
    Open,
}

/// Draws every conversation of the lake, in opening order.
pub(super) struct Sim<'w> {
    world: &'w World,
    pub rng: ChaCha8Rng,
    seed: u64,
    lake_start: i64,
    lake_end: i64,
    /// Per workspace, per contact: when its open conversation closes
    /// (`i64::MAX` while one is open with no close in the lake). The only
    /// state that grows with the number of conversations.
    busy_until: Vec<Vec<i64>>,
    next_conversation: u64,
    next_event: u64,
    next_message: u64,
    // The conversation being drawn.
    evs: Vec<Ev>,
    base: Ev,
    channel_bot: bool,
    channel_type: &'static str,
    assignee: Option<usize>,
    first_unanswered: Option<i64>,
    /// An agent has written in the conversation.
    replied: bool,
    last: i64,
}

/// A value in [lo, hi) seconds, uniform on a log scale, in microseconds.
fn logu(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> i64 {
    let x: f64 = rng.random();
    ((lo.ln() + x * (hi.ln() - lo.ln())).exp() * SEC as f64) as i64
}

/// Weighted choice among `weights` (need not sum to 1).
fn choose(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// SplitMix64: a fixed hash for values that must be recomputed, not stored.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash as a float in [0, 1).
pub(super) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Local wall-clock time of UTC microseconds `t` in `tz`.
pub(super) fn local_time(tz: &chrono_tz::Tz, t: i64) -> NaiveDateTime {
    let utc = chrono::DateTime::from_timestamp_micros(t)
        .unwrap_or_default()
        .naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc + chrono::Duration::seconds(offset as i64)
}

impl<'w> Sim<'w> {
    pub fn new(
        world: &'w World,
        rng: ChaCha8Rng,
        seed: u64,
        lake_start: i64,
        lake_end: i64,
    ) -> Self {
        let zero = Ev {
            ts: 0,
            conversation: 0,
            seq: 0,
            message: 0,
            contact: 0,
            ws: 0,
            kind: 0,
            source: 0,
            detail: 0,
            direction: 0,
            sender: 0,
            category: 0,
            summary: 0,
            handover: 0,
            channel: NONE,
            actor: NONE,
            team: NONE,
            assignee: NONE,
            establishment: NONE,
        };
        Sim {
            world,
            rng,
            seed,
            lake_start,
            lake_end,
            busy_until: vec![Vec::new(); world.workspaces.len()],
            next_conversation: 1,
            next_event: 1,
            next_message: 1,
            evs: Vec::with_capacity(64),
            base: zero,
            channel_bot: false,
            channel_type: "",
            assignee: None,
            first_unanswered: None,
            replied: false,
            last: 0,
        }
    }

    /// The establishment of contact `local` of workspace `ws`: a hash of the
    /// seed and the contact, so it need not be stored.
    fn establishment_of(&self, ws: usize, local: u32) -> u32 {
        let w = &self.world.workspaces[ws];
        let h = mix(self.seed ^ mix(((ws as u64) << 32) | local as u64));
        w.establishments[pick(&w.establishment_cum, unit(h))] as u32
    }

    /// Draws one conversation of workspace `ws` opened at `t0`; its events go
    /// to `part` (and a few to `late`), a new contact to `contacts`.
    pub fn conversation(
        &mut self,
        ws: usize,
        t0: i64,
        part: &mut Vec<Ev>,
        late: &mut Vec<Ev>,
        contacts: &mut Vec<NewContact>,
    ) {
        let world = self.world;
        let r = &mut self.rng;

        // How it was opened.
        let (source, detail) = match choose(r, &[0.17, 0.46, 0.08, 0.07, 0.04, 0.03, 0.10, 0.05]) {
            0 => (S_USER, 0),
            1 => (S_CONTACT, 0),
            2 => (S_WORKFLOW, 0),
            3 => (S_API, 0),
            4 => (S_ZAPIER, 0),
            5 => (S_MAKE, 0),
            6 => (S_PAID_ADS, D_META),
            _ => (S_PAID_ADS, D_TIKTOK),
        };
        let inbound = matches!(source, S_CONTACT | S_PAID_ADS);

        // Which contact: ~25% of conversations from contacts seen before in
        // the lake, ~15% from new ones with history before the lake.
        let local = self.pick_contact(ws, t0, inbound, contacts);
        let r = &mut self.rng;

        // Which channel.
        let w = &world.workspaces[ws];
        let mut channel = w.channels[pick(&w.channel_cum, r.random())];
        if source == S_PAID_ADS {
            let wanted: &[&str] = if detail == D_META {
                &["whatsapp", "messenger", "instagram"]
            } else {
                &["whatsapp", "webchat"]
            };
            let fits: Vec<usize> = w
                .channels
                .iter()
                .copied()
                .filter(|&c| wanted.contains(&world.channels[c].channel_type))
                .collect();
            if !fits.is_empty() {
                channel = fits[r.random_range(0..fits.len())];
            }
        }
        let manual = source == S_USER && r.random_bool(0.5);
        let opener = (source == S_USER).then(|| world.pick_user(ws, r.random()));
        let preassigned = r.random_bool(if source == S_USER { 0.5 } else { 0.085 });
        let assignee = match (preassigned, opener) {
            (false, _) => None,
            (true, Some(o)) if r.random_bool(0.8) => Some(o),
            (true, _) => Some(world.pick_user(ws, r.random())),
        };

        let conversation = self.next_conversation;
        self.next_conversation += 1;
        self.base = Ev {
            ts: t0,
            conversation,
            contact: local,
            ws: ws as u16,
            channel: channel as u32,
            establishment: self.establishment_of(ws, local),
            ..self.base
        };
        self.evs.clear();
        self.channel_bot = world.channels[channel].bot;
        self.channel_type = world.channels[channel].channel_type;
        self.assignee = assignee;
        self.first_unanswered = None;
        self.replied = false;
        self.last = t0;

        let team = assignee
            .or(opener)
            .map_or(NONE, |u| world.team_of(u) as u32);
        self.evs.push(Ev {
            kind: OPENED,
            source,
            detail,
            channel: if manual { NONE } else { channel as u32 },
            actor: opener.map_or(NONE, |u| u as u32),
            team,
            assignee: assignee.map_or(NONE, |u| u as u32),
            ..self.base
        });

        let end = if inbound {
            if self.channel_bot {
                self.bot_flow(ws, t0, source)
            } else {
                self.customer_writes(t0);
                self.agent_flow(ws)
            }
        } else if let Some(opener) = opener {
            self.user_outbound(ws, t0, opener)
        } else {
            self.automated_outbound(ws, t0, source)
        };
        self.finish(ws, t0, end);
        self.deliver(ws, local, part, late);
    }

    /// A contact for a conversation of workspace `ws` at `t0`, free at `t0`.
    fn pick_contact(
        &mut self,
        ws: usize,
        t0: i64,
        inbound: bool,
        contacts: &mut Vec<NewContact>,
    ) -> u32 {
        let pool = &mut self.busy_until[ws];
        let r = &mut self.rng;
        if !pool.is_empty() && r.random_bool(0.25) {
            // A returning contact, recent ones more likely; skip busy ones.
            for _ in 0..4 {
                let x: f64 = r.random();
                let back = ((pool.len() as f64) * x * x) as usize;
                let local = pool.len() - 1 - back.min(pool.len() - 1);
                if pool[local] < t0 {
                    return local as u32;
                }
            }
        }
        let local = pool.len() as u32;
        pool.push(i64::MAX);
        let locale = self.world.workspaces[ws].locale;
        let name = if r.random_bool(0.04) {
            // Only a phone number is known.
            format!(
                "+{} {:03} {:04} {:04}",
                r.random_range(1..=99),
                r.random_range(100..999),
                r.random_range(0..10_000),
                r.random_range(0..10_000)
            )
        } else {
            format!(
                "{} {}",
                locale.first_names[r.random_range(0..locale.first_names.len())],
                locale.last_names[r.random_range(0..locale.last_names.len())]
            )
        };
        let (created_at, first_conversation_at) = if r.random_bool(0.2) {
            // Known before the lake starts, with conversations back then.
            let created = self.lake_start - logu(r, 2.0 * 86_400.0, 3.0 * 365.0 * 86_400.0);
            let span = self.lake_start - created;
            let first = created + (span as f64 * r.random_range(0.0..0.95)) as i64;
            (created, Some(first))
        } else if inbound {
            (t0 - logu(r, 1.0, 90.0), None)
        } else {
            // Imported or created by an agent before being contacted.
            (t0 - logu(r, 600.0, 400.0 * 86_400.0), None)
        };
        contacts.push(NewContact {
            ws: ws as u16,
            local,
            name,
            created_at,
            first_conversation_at,
            establishment: self.establishment_of(ws, local),
        });
        local
    }

    fn push(&mut self, ev: Ev) {
        self.last = self.last.max(ev.ts);
        self.evs.push(ev);
    }

    fn incoming(&mut self, ts: i64) {
        if self.first_unanswered.is_none() {
            self.first_unanswered = Some(ts);
        }
        self.push(Ev {
            ts,
            kind: MESSAGE,
            message: 1,
            direction: INCOMING,
            sender: BY_CONTACT,
            ..self.base
        });
    }

    fn outgoing(&mut self, ts: i64, sender: u8, actor: Option<usize>) {
        if sender == BY_USER {
            self.first_unanswered = None;
            self.replied = true;
        }
        let actor = actor.map_or(NONE, |u| u as u32);
        let team = if actor == NONE {
            NONE
        } else {
            self.world.team_of(actor as usize) as u32
        };
        self.push(Ev {
            ts,
            kind: MESSAGE,
            message: 1,
            direction: OUTGOING,
            sender,
            actor,
            team,
            ..self.base
        });
    }

    fn bot_says(&mut self, ts: i64) {
        self.outgoing(ts, BY_BOT, None);
    }

    fn assign(&mut self, ts: i64, to: Option<usize>, actor: Option<usize>) {
        self.assignee = to;
        let team = to.map_or(NONE, |u| self.world.team_of(u) as u32);
        self.push(Ev {
            ts,
            kind: ASSIGNED,
            channel: NONE,
            assignee: to.map_or(NONE, |u| u as u32),
            team,
            actor: actor.map_or(NONE, |u| u as u32),
            ..self.base
        });
    }

    /// The customer writes one to a few messages in a row, starting at `t`.
    fn customer_writes(&mut self, t: i64) {
        let n = 1 + choose(&mut self.rng, &[0.55, 0.28, 0.12, 0.05]);
        let mut t = t;
        for i in 0..n {
            if i > 0 {
                t += logu(&mut self.rng, 3.0, 180.0);
            }
            self.incoming(t);
        }
    }

    /// A user of the workspace other than `not` (when there is one).
    fn other_user(&mut self, ws: usize, not: Option<usize>) -> usize {
        for _ in 0..8 {
            let u = self.world.pick_user(ws, self.rng.random());
            if Some(u) != not {
                return u;
            }
        }
        let users = &self.world.workspaces[ws].users;
        users
            .iter()
            .copied()
            .find(|&u| Some(u) != not)
            .unwrap_or(users[0])
    }

    /// Delay of an agent's reply: seconds mostly, with a tail past a day.
    fn response_delay(&mut self, first: bool) -> i64 {
        let r = &mut self.rng;
        let bands: &[(f64, f64, f64)] = if first {
            &[
                (0.50, 15.0, 600.0),
                (0.17, 600.0, 3600.0),
                (0.13, 3600.0, 4.0 * 3600.0),
                (0.09, 4.0 * 3600.0, 8.0 * 3600.0),
                (0.07, 8.0 * 3600.0, 24.0 * 3600.0),
                (0.04, 24.0 * 3600.0, 72.0 * 3600.0),
            ]
        } else {
            &[
                (0.70, 10.0, 600.0),
                (0.20, 600.0, 3600.0),
                (0.07, 3600.0, 8.0 * 3600.0),
                (0.03, 8.0 * 3600.0, 36.0 * 3600.0),
            ]
        };
        let weights: Vec<f64> = bands.iter().map(|b| b.0).collect();
        let (_, lo, hi) = bands[choose(r, &weights)];
        logu(r, lo, hi)
    }

    /// Whether `t` falls in the business hours of workspace `ws`.
    fn in_hours(&self, ws: usize, t: i64) -> bool {
        let w = &self.world.workspaces[ws];
        let local = local_time(&w.locale.tz, t);
        let minute = local.hour() * 60 + local.minute();
        w.hours[local.weekday().num_days_from_monday() as usize]
            .iter()
            .any(|&(from, to)| from <= minute && minute < to)
    }

    /// The next opening of the business hours of workspace `ws` after `t`.
    fn next_open(&self, ws: usize, t: i64) -> i64 {
        let w = &self.world.workspaces[ws];
        let tz = &w.locale.tz;
        let local = local_time(tz, t);
        let minute = local.hour() * 60 + local.minute();
        for k in 0..8 {
            let day = local.date() + chrono::Duration::days(k);
            for &(from, _) in w.hours[day.weekday().num_days_from_monday() as usize] {
                if k == 0 && from <= minute {
                    continue;
                }
                let Some(naive) = day.and_hms_opt(from / 60, from % 60, 0) else {
                    continue;
                };
                // A time skipped by a DST change: take the hour after.
                let at = tz.from_local_datetime(&naive).earliest().or_else(|| {
                    tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                        .earliest()
                });
                if let Some(at) = at {
                    return at.timestamp_micros().max(t);
                }
            }
        }
        t
    }

    /// Chatbot first: welcome, questions, maybe a new session after a
    /// pause, maybe a handover to a human.
    fn bot_flow(&mut self, ws: usize, t0: i64, source: u8) -> End {
        // A click on an ad or on the web chat widget opens the conversation
        // and the bot greets; elsewhere the customer's message opens it.
        let greet = match (source, self.channel_type) {
            (S_PAID_ADS, _) => 0.75,
            (_, "webchat") => 0.6,
            _ => 0.1,
        };
        let greet_first = self.rng.random_bool(greet);
        if greet_first {
            let t = t0 + logu(&mut self.rng, 0.2, 3.0);
            self.bot_says(t);
            if self.rng.random_bool(0.2) {
                // Welcome only: the customer never answers.
                return match choose(&mut self.rng, &[0.75, 0.15, 0.10]) {
                    0 => End::Bot,
                    1 => End::Agent,
                    _ => End::Open,
                };
            }
            let t = self.last + logu(&mut self.rng, 5.0, 240.0);
            self.incoming(t);
        } else {
            // The customer's message opened the conversation (same instant).
            self.incoming(t0);
        }
        let t = self.last + logu(&mut self.rng, 0.5, 3.0);
        self.bot_says(t);
        for _ in 0..self.rng.random_range(0..=3) {
            let t = self.last + logu(&mut self.rng, 4.0, 180.0);
            self.incoming(t);
            let t = self.last + logu(&mut self.rng, 0.5, 4.0);
            self.bot_says(t);
        }
        if self.rng.random_bool(0.18) {
            // Back after more than 10 minutes: a new bot session.
            let t = self.last + logu(&mut self.rng, 11.0 * 60.0, 8.0 * 3600.0);
            self.incoming(t);
            let t = self.last + logu(&mut self.rng, 0.5, 3.0);
            self.bot_says(t);
        }
        if !self.rng.random_bool(0.6) {
            // No handover asked.
            return match choose(&mut self.rng, &[0.6, 0.15, 0.25]) {
                0 => End::Bot,
                1 => End::Automation(S_WORKFLOW),
                _ => self.agent_flow(ws),
            };
        }
        let status = [H_SUCCESSFUL, H_CANCELLED, H_DISABLED, H_INCOMPLETE]
            [choose(&mut self.rng, &[0.60, 0.14, 0.12, 0.14])];
        let th = self.last + logu(&mut self.rng, 1.0, 30.0);
        self.push(Ev {
            ts: th,
            kind: HANDOVER,
            handover: status,
            ..self.base
        });
        match status {
            H_SUCCESSFUL => {
                if self.assignee.is_none() {
                    let to = self.world.pick_user(ws, self.rng.random());
                    let t = th + logu(&mut self.rng, 0.5, 20.0);
                    self.assign(t, Some(to), None);
                }
                self.agent_flow(ws)
            }
            H_CANCELLED => {
                let t = th + logu(&mut self.rng, 0.5, 3.0);
                self.bot_says(t);
                if self.rng.random_bool(0.55) {
                    End::Bot
                } else {
                    let t = self.last + logu(&mut self.rng, 120.0, 86_400.0);
                    self.customer_writes(t);
                    self.agent_flow(ws)
                }
            }
            H_DISABLED => {
                // "Our agents are not available right now."
                let t = th + logu(&mut self.rng, 0.5, 3.0);
                self.bot_says(t);
                if self.rng.random_bool(0.65) {
                    self.agent_flow(ws)
                } else {
                    End::Bot
                }
            }
            _ => match choose(&mut self.rng, &[0.5, 0.3, 0.2]) {
                0 => End::Bot,
                1 => {
                    let t = self.last + logu(&mut self.rng, 60.0, 6.0 * 3600.0);
                    self.customer_writes(t);
                    self.agent_flow(ws)
                }
                _ => End::Open,
            },
        }
    }

    /// Agents at work: assignment, replies, re-assignments, more messages.
    fn agent_flow(&mut self, ws: usize) -> End {
        if self.rng.random_bool(0.045) {
            // Forgotten: nobody ever answers, the customer waits.
            if self.assignee.is_none() && self.rng.random_bool(0.4) {
                let to = self.world.pick_user(ws, self.rng.random());
                let t = self.last + logu(&mut self.rng, 10.0, 7200.0);
                self.assign(t, Some(to), None);
            }
            if self.rng.random_bool(0.4) {
                let t = self.last + logu(&mut self.rng, 3600.0, 2.0 * 86_400.0);
                self.incoming(t);
            }
            return End::Open;
        }
        let rounds = 1 + choose(&mut self.rng, &[0.30, 0.30, 0.20, 0.12, 0.08]);
        let reassign_round = self
            .rng
            .random_bool(0.15)
            .then(|| self.rng.random_range(0..rounds));
        let unassign_mid = rounds > 1 && self.rng.random_bool(0.04);
        for round in 0..rounds {
            if round > 0 {
                let gap = if self.rng.random_bool(0.85) {
                    logu(&mut self.rng, 20.0, 8.0 * 3600.0)
                } else {
                    logu(&mut self.rng, 8.0 * 3600.0, 3.0 * 86_400.0)
                };
                self.customer_writes(self.last + gap);
            }
            let since = self.first_unanswered.unwrap_or(self.last);
            let mut reply = since + self.response_delay(round == 0);
            if !self.in_hours(ws, reply) && self.rng.random_bool(0.75) {
                reply = self.next_open(ws, reply) + logu(&mut self.rng, 60.0, 5400.0);
            }
            reply = reply.max(self.last + logu(&mut self.rng, 3.0, 60.0));
            if self.assignee.is_none() {
                let at = self.last
                    + ((reply - self.last) as f64 * self.rng.random_range(0.0..0.9)) as i64;
                let to = self.world.pick_user(ws, self.rng.random());
                let actor = match choose(&mut self.rng, &[0.55, 0.25, 0.20]) {
                    0 => None,
                    1 => Some(to),
                    _ => Some(self.other_user(ws, Some(to))),
                };
                self.assign(at, Some(to), actor);
            }
            if reassign_round == Some(round) {
                let at = self.last
                    + ((reply - self.last) as f64 * self.rng.random_range(0.0..0.9)) as i64;
                let current = self.assignee;
                let to = self.other_user(ws, current);
                let actor = match choose(&mut self.rng, &[0.4, 0.3, 0.3]) {
                    0 => current,
                    1 => Some(self.other_user(ws, Some(to))),
                    _ => None,
                };
                self.assign(at, Some(to), actor);
            }
            let writer = if self.rng.random_bool(0.88) {
                self.assignee
                    .unwrap_or_else(|| self.world.pick_user(ws, 0.5))
            } else {
                self.other_user(ws, self.assignee)
            };
            self.outgoing(reply, BY_USER, Some(writer));
            if self.rng.random_bool(0.25) {
                let t = self.last + logu(&mut self.rng, 5.0, 120.0);
                self.outgoing(t, BY_USER, Some(writer));
            }
            if self.rng.random_bool(0.04) {
                let t = self.last + logu(&mut self.rng, 1.0, 30.0);
                self.outgoing(t, BY_WORKFLOW, None);
            }
            if self.rng.random_bool(0.02) {
                let t = self.last + logu(&mut self.rng, 60.0, 86_400.0);
                let sender = if self.rng.random_bool(0.7) {
                    BY_API
                } else {
                    BY_INTEGRATION
                };
                self.outgoing(t, sender, None);
            }
            if unassign_mid && round == 0 {
                let t = self.last + logu(&mut self.rng, 60.0, 7200.0);
                let actor = if self.rng.random_bool(0.5) {
                    self.assignee
                } else {
                    None
                };
                self.assign(t, None, actor);
            }
        }
        End::Agent
    }

    /// An agent writes first (an outbound conversation).
    fn user_outbound(&mut self, ws: usize, t0: i64, opener: usize) -> End {
        if self.assignee.is_none() && self.rng.random_bool(0.6) {
            let t = t0 + logu(&mut self.rng, 0.2, 2.0);
            self.assign(t, Some(opener), Some(opener));
        }
        let t = self.last + logu(&mut self.rng, 2.0, 180.0);
        self.outgoing(t, BY_USER, Some(opener));
        if self.rng.random_bool(0.72) {
            let t = self.last + logu(&mut self.rng, 60.0, 86_400.0);
            self.customer_writes(t);
            self.agent_flow(ws)
        } else if self.rng.random_bool(0.7) {
            End::Agent
        } else {
            End::Open
        }
    }

    /// A workflow, the API, Zapier or Make writes first (a notification).
    fn automated_outbound(&mut self, ws: usize, t0: i64, source: u8) -> End {
        let sender = match source {
            S_WORKFLOW => BY_WORKFLOW,
            S_API => BY_API,
            _ if self.rng.random_bool(0.4) => BY_INTEGRATION,
            _ => BY_API,
        };
        let t = t0 + logu(&mut self.rng, 0.1, 5.0);
        self.outgoing(t, sender, None);
        if self.rng.random_bool(0.55) {
            let t = self.last + logu(&mut self.rng, 30.0, 86_400.0);
            self.customer_writes(t);
            self.agent_flow(ws)
        } else if self.rng.random_bool(0.75) {
            End::Automation(source)
        } else {
            End::Open
        }
    }

    /// The close (or not), the rare broadcast and stray message.
    fn finish(&mut self, ws: usize, t0: i64, end: End) {
        if self.rng.random_bool(0.015) {
            // A broadcast that reached the contact during the conversation.
            let t = t0 + ((self.last - t0) as f64 * self.rng.random::<f64>()) as i64;
            let ev = Ev {
                ts: t,
                kind: MESSAGE,
                message: 1,
                direction: OUTGOING,
                sender: BY_BROADCAST,
                ..self.base
            };
            self.evs.push(ev);
        }
        let (source, actor) = match end {
            End::Open => return,
            End::Bot => {
                let t = self.last + logu(&mut self.rng, 300.0, 12.0 * 3600.0);
                self.last = t;
                (S_BOT, None)
            }
            End::Automation(source) => {
                let t = self.last + logu(&mut self.rng, 600.0, 2.0 * 86_400.0);
                self.last = t;
                (source, None)
            }
            End::Agent => {
                if self.replied && self.rng.random_bool(0.12) {
                    // "Thanks!": the last message is the customer's.
                    let t = self.last + logu(&mut self.rng, 10.0, 3600.0);
                    self.incoming(t);
                }
                let gap = match choose(&mut self.rng, &[0.65, 0.25, 0.10]) {
                    0 => logu(&mut self.rng, 20.0, 1800.0),
                    1 => logu(&mut self.rng, 1800.0, 8.0 * 3600.0),
                    _ => logu(&mut self.rng, 8.0 * 3600.0, 4.0 * 86_400.0),
                };
                let t = self.last + gap;
                if self.assignee.is_some() && self.rng.random_bool(0.06) {
                    // Un-assigned right before closing.
                    let at = t - logu(&mut self.rng, 1.0, 60.0).min(gap / 2);
                    let actor = if self.rng.random_bool(0.5) {
                        self.assignee
                    } else {
                        None
                    };
                    self.assign(at, None, actor);
                }
                self.last = self.last.max(t);
                let source = match choose(
                    &mut self.rng,
                    &[0.74, 0.08, 0.03, 0.02, 0.015, 0.045, 0.035, 0.035],
                ) {
                    0 => S_USER,
                    1 => S_WORKFLOW,
                    2 => S_API,
                    3 => S_ZAPIER,
                    4 => S_MAKE,
                    5 => S_BLOCKED,
                    6 => S_MERGED,
                    _ => S_DELETED,
                };
                let current = self.assignee;
                let actor = (source == S_USER).then(|| match current {
                    Some(a) if self.rng.random_bool(0.85) => a,
                    _ => self.other_user(ws, current),
                });
                (source, actor)
            }
        };
        let (category, summary) = match source {
            S_BLOCKED => (C_SPAM, SUMMARY_SPAM),
            S_MERGED => (
                0,
                if self.rng.random_bool(0.5) {
                    SUMMARY_DUPLICATE
                } else {
                    0
                },
            ),
            S_DELETED => (0, 0),
            S_BOT => {
                // The bot files few closing notes.
                let c = choose(&mut self.rng, &[0.55, 0.25, 0.12, 0.08]) as u8;
                (
                    c,
                    if c != 0 && self.rng.random_bool(0.7) {
                        SUMMARY_BY_BOT
                    } else {
                        0
                    },
                )
            }
            _ => {
                let c = choose(&mut self.rng, &[0.13, 0.36, 0.20, 0.14, 0.10, 0.05, 0.02]) as u8;
                let (lo, hi) = SUMMARY_RANGES[c as usize];
                let summary = if c == 0 || self.rng.random_bool(0.1) {
                    if self.first_unanswered.is_some() && self.rng.random_bool(0.3) {
                        SUMMARY_NO_ANSWER
                    } else {
                        0
                    }
                } else {
                    self.rng.random_range(lo..hi)
                };
                (c, summary)
            }
        };
        let actor_id = actor.map_or(NONE, |u| u as u32);
        let team = actor.map_or(NONE, |u| self.world.team_of(u) as u32);
        let closed_at = self.last;
        self.evs.push(Ev {
            ts: closed_at,
            kind: CLOSED,
            channel: NONE,
            source,
            actor: actor_id,
            team,
            category,
            summary,
            ..self.base
        });
        if self.rng.random_bool(0.005) {
            // A stray message after the close: activity, but no metric.
            let t = closed_at + logu(&mut self.rng, 60.0, 3.0 * 86_400.0);
            self.push(Ev {
                ts: t,
                kind: MESSAGE,
                message: 1,
                direction: INCOMING,
                sender: BY_CONTACT,
                ..self.base
            });
        }
    }

    /// Orders the conversation's events, numbers them, drops what falls
    /// after the lake's end, marks the contact busy, and delivers: most
    /// events once, a few late, a few twice.
    fn deliver(&mut self, ws: usize, local: u32, part: &mut Vec<Ev>, late: &mut Vec<Ev>) {
        let end = self.lake_end;
        self.evs.retain(|e| e.ts < end);
        // Stable: events drawn in order keep it on equal timestamps.
        self.evs.sort_by_key(|e| e.ts);
        let mut busy = i64::MAX;
        for e in self.evs.iter_mut() {
            e.seq = self.next_event;
            self.next_event += 1;
            if e.kind == MESSAGE {
                e.message = self.next_message;
                self.next_message += 1;
            }
            if e.kind == CLOSED {
                busy = e.ts;
            }
        }
        self.busy_until[ws][local as usize] = busy;
        for e in &self.evs {
            let x: f64 = self.rng.random();
            if x < LATE_RATE {
                late.push(*e);
            } else if x < LATE_RATE + DUPLICATE_RATE {
                part.push(*e);
                if self.rng.random_bool(0.7) {
                    part.push(*e);
                } else {
                    late.push(*e);
                }
            } else {
                part.push(*e);
            }
        }
    }

    pub fn conversations_drawn(&self) -> u64 {
        self.next_conversation - 1
    }
}
