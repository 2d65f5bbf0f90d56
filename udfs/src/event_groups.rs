//! The event store shared by convlake's per-conversation aggregates: each
//! group's events gathered from whole arrays, ordered and de-duplicated
//! before evaluation, and a partial state (a list of event structs) that
//! DataFusion can merge across partitions.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, ListArray, StringViewArray, StringViewBuilder,
    StructArray, TimestampMicrosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, TimestampMicrosecondType};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use crate::conversation_metrics::{INPUTS, input_fields};
use crate::timeline::{Direction, Event, Kind, Sender, Sym, order};

/// Strings of few distinct values, stored once; symbol 0 is NULL.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: foldhash::HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, s: Option<&str>) -> Sym {
        let Some(s) = s else { return 0 };
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        self.strings.push(s.into());
        let id = self.strings.len() as Sym;
        self.ids.insert(s.into(), id);
        id
    }

    pub(crate) fn get(&self, sym: Sym) -> Option<&str> {
        (sym != 0).then(|| self.strings[sym as usize - 1].as_ref())
    }
}

/// What an aggregate computes from each group's ordered events.
pub(crate) trait Evaluate: std::fmt::Debug + Send + Sync {
    /// One output value per group, in group order; each group's events are
    /// already in `(ts, event_id)` order and de-duplicated.
    fn evaluate(&self, groups: Vec<Vec<Event>>, strings: &Interner) -> Result<ArrayRef>;
}

/// The events of every group (a conversation) seen so far, gathered for an
/// aggregate over the columns of [`INPUTS`] that evaluates with `E`.
#[derive(Debug)]
pub(crate) struct EventGroups<E> {
    groups: Vec<Vec<Event>>,
    strings: Interner,
    events: usize,
    eval: E,
}

fn opt(array: &StringViewArray, row: usize) -> Option<&str> {
    array.is_valid(row).then(|| array.value(row))
}

impl<E: Evaluate> EventGroups<E> {
    pub(crate) fn new(eval: E) -> Self {
        Self {
            groups: Vec::new(),
            strings: Interner::default(),
            events: 0,
            eval,
        }
    }

    /// Adds the rows of `columns` (the arguments, or the children of a state
    /// struct) to their groups.
    fn ingest(
        &mut self,
        columns: &[ArrayRef],
        groups: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        // Arguments past the event columns (bot_sessions' gap) are not events.
        let columns = &columns[..INPUTS.len().min(columns.len())];
        if columns.len() != INPUTS.len() {
            return exec_err!(
                "expected {} event columns, got {}",
                INPUTS.len(),
                columns.len()
            );
        }
        if self.groups.len() < total {
            self.groups.resize_with(total, Vec::new);
        }
        let ts = columns[0].as_primitive::<TimestampMicrosecondType>();
        let s: Vec<&StringViewArray> = columns[1..].iter().map(|c| c.as_string_view()).collect();
        let [
            ids,
            types,
            dirs,
            senders,
            actors,
            assignees,
            teams,
            sources,
            details,
            channels,
            categories,
            summaries,
        ] = s[..]
        else {
            unreachable!("13 columns checked above")
        };
        for (row, &group) in groups.iter().enumerate() {
            if filter.is_some_and(|f| !f.is_valid(row) || !f.value(row))
                || ts.is_null(row)
                || ids.is_null(row)
            {
                continue;
            }
            let event = Event {
                ts: ts.value(row),
                event_id: ids.value(row).into(),
                kind: opt(types, row).map_or(Kind::Other, Kind::parse),
                direction: Direction::parse(opt(dirs, row)),
                sender: Sender::parse(opt(senders, row)),
                actor: self.strings.intern(opt(actors, row)),
                assignee: self.strings.intern(opt(assignees, row)),
                team: self.strings.intern(opt(teams, row)),
                source: self.strings.intern(opt(sources, row)),
                source_detail: self.strings.intern(opt(details, row)),
                channel: self.strings.intern(opt(channels, row)),
                category: self.strings.intern(opt(categories, row)),
                summary: opt(summaries, row).map(Into::into),
            };
            self.groups[group].push(event);
            self.events += 1;
        }
        Ok(())
    }

    fn take(&mut self, emit_to: EmitTo) -> Vec<Vec<Event>> {
        let taken = emit_to.take_needed(&mut self.groups);
        self.events -= taken.iter().map(Vec::len).sum::<usize>();
        taken
    }

    fn evaluate_groups(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut groups = self.take(emit_to);
        for events in groups.iter_mut() {
            order(events);
        }
        self.eval.evaluate(groups, &self.strings)
    }

    /// Each group's events as one list of argument structs.
    fn state_groups(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let groups = self.take(emit_to);
        let n: usize = groups.iter().map(Vec::len).sum();
        let mut ts = TimestampMicrosecondBuilder::with_capacity(n);
        let mut strings: Vec<StringViewBuilder> = (1..INPUTS.len())
            .map(|_| StringViewBuilder::with_capacity(n))
            .collect();
        let text = |s: Option<&str>, b: &mut StringViewBuilder| b.append_option(s);
        for e in groups.iter().flatten() {
            ts.append_value(e.ts);
            let direction = match e.direction {
                Direction::Incoming => Some("incoming"),
                Direction::Outgoing => Some("outgoing"),
                Direction::Other => None,
            };
            let values: [Option<&str>; 12] = [
                Some(&e.event_id),
                Some(kind_name(e.kind)),
                direction,
                sender_name(e.sender),
                self.strings.get(e.actor),
                self.strings.get(e.assignee),
                self.strings.get(e.team),
                self.strings.get(e.source),
                self.strings.get(e.source_detail),
                self.strings.get(e.channel),
                self.strings.get(e.category),
                e.summary.as_deref(),
            ];
            for (value, builder) in values.into_iter().zip(strings.iter_mut()) {
                text(value, builder);
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(ts.finish().with_timezone("UTC"))];
        columns.extend(strings.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        let values = StructArray::try_new(input_fields(), columns, None)?;
        let offsets = OffsetBuffer::from_lengths(groups.iter().map(Vec::len));
        let item = Arc::new(Field::new_list_field(
            DataType::Struct(input_fields()),
            true,
        ));
        Ok(Arc::new(ListArray::try_new(
            item,
            offsets,
            Arc::new(values),
            None,
        )?))
    }

    fn merge_states(
        &mut self,
        values: &[ArrayRef],
        groups: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        let lists = values[0].as_list::<i32>();
        // Repeat each list's group index for every event in it.
        let mut event_groups = Vec::with_capacity(lists.values().len());
        let mut keep = Vec::with_capacity(lists.values().len());
        for (row, &group) in groups.iter().enumerate() {
            let selected =
                filter.is_none_or(|f| f.is_valid(row) && f.value(row)) && lists.is_valid(row);
            let (start, end) = (
                lists.value_offsets()[row] as usize,
                lists.value_offsets()[row + 1] as usize,
            );
            event_groups.extend(std::iter::repeat_n(group, end - start));
            keep.extend(std::iter::repeat_n(selected, end - start));
        }
        let first = lists.value_offsets()[0] as usize;
        let last = lists.value_offsets()[groups.len()] as usize;
        let events = lists.values().slice(first, last - first);
        let events = events.as_struct();
        let keep = BooleanArray::from(keep);
        self.ingest(events.columns(), &event_groups, Some(&keep), total)
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Opened => "conversation_opened",
        Kind::Closed => "conversation_closed",
        Kind::AssigneeChanged => "assignee_changed",
        Kind::Message => "message",
        Kind::Handover => "handover",
        Kind::Other => "other",
    }
}

fn sender_name(sender: Sender) -> Option<&'static str> {
    Some(match sender {
        Sender::Contact => "contact",
        Sender::User => "user",
        Sender::Bot => "bot",
        Sender::Workflow => "workflow",
        Sender::Broadcast => "broadcast",
        Sender::Api => "api",
        Sender::Integration => "integration",
        Sender::Other => return None,
    })
}

impl<E: Evaluate + 'static> GroupsAccumulator for EventGroups<E> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        groups: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        self.ingest(values, groups, filter, total)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        self.evaluate_groups(emit_to)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.state_groups(emit_to)?])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], groups: &[usize], total: usize) -> Result<()> {
        self.merge_states(values, groups, None, total)
    }

    /// Each input row as a state of its own: a list of one event (NULL
    /// where filtered out).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let n = values.first().map_or(0, |v| v.len());
        let values = &values[..INPUTS.len().min(values.len())];
        let events = StructArray::try_new(input_fields(), values.to_vec(), None)?;
        let nulls =
            filter.map(|f| arrow::buffer::NullBuffer::from_iter(f.iter().map(|v| v == Some(true))));
        let item = Arc::new(Field::new_list_field(
            DataType::Struct(input_fields()),
            true,
        ));
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(1, n));
        Ok(vec![Arc::new(ListArray::try_new(
            item,
            offsets,
            Arc::new(events),
            nulls,
        )?)])
    }

    fn size(&self) -> usize {
        self.groups.capacity() * size_of::<Vec<Event>>() + self.events * (size_of::<Event>() + 16)
    }
}

/// The row-at-a-time form DataFusion asks for where it cannot group
/// (e.g. an aggregate with no GROUP BY): one group, the same code.
#[derive(Debug)]
pub(crate) struct OneGroup<E>(pub(crate) EventGroups<E>);

impl<E: Evaluate + 'static> Accumulator for OneGroup<E> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.0.ingest(values, &vec![0; n], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0
            .groups
            .resize_with(1.max(self.0.groups.len()), Vec::new);
        let out = self.0.evaluate_groups(EmitTo::First(1))?;
        ScalarValue::try_from_array(&out, 0)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.0.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0
            .groups
            .resize_with(1.max(self.0.groups.len()), Vec::new);
        let list = self.0.state_groups(EmitTo::All)?;
        Ok(vec![ScalarValue::try_from_array(&list, 0)?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |v| v.len());
        self.0.merge_states(states, &vec![0; n], None, 1)
    }
}
