//! `conversation_metrics(...)`: every ordered per-conversation metric of
//! SPEC.md §2 in one pass over a conversation's events.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Float64Builder, Int64Builder,
    ListArray, StringViewArray, StringViewBuilder, StructArray, TimestampMicrosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

use crate::timeline::{Direction, Event, Kind, Sender, Sym, metrics, order};

/// The arguments, in order: the columns of `events` the metrics read.
pub const INPUTS: [&str; 13] = [
    "ts",
    "event_id",
    "event_type",
    "direction",
    "sender_type",
    "actor_user_id",
    "assignee_user_id",
    "team_id",
    "source",
    "source_detail",
    "channel_id",
    "category",
    "summary",
];

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn input_fields() -> Fields {
    INPUTS
        .iter()
        .map(|name| {
            let ty = if *name == "ts" {
                ts_type()
            } else {
                DataType::Utf8View
            };
            Field::new(*name, ty, true)
        })
        .collect()
}

/// The fields of the returned struct.
pub fn output_fields() -> Fields {
    static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
        use DataType::{Boolean, Float64, Int64, Utf8View};
        let ts = ts_type();
        [
            ("opened_at", ts.clone()),
            ("opened_source", Utf8View),
            ("opened_source_detail", Utf8View),
            ("opened_channel_id", Utf8View),
            ("opened_by_user_id", Utf8View),
            ("assigned_at_opening", Boolean),
            ("first_assignment_at", ts.clone()),
            ("first_assignee_id", Utf8View),
            ("last_assignment_at", ts.clone()),
            ("last_assignee_id", Utf8View),
            ("assignments", Int64),
            ("first_response_at", ts.clone()),
            ("first_response_by_user_id", Utf8View),
            ("last_assignee_response_at", ts.clone()),
            ("responses", Int64),
            ("response_time_total_seconds", Float64),
            ("incoming_messages", Int64),
            ("outgoing_messages", Int64),
            ("closed_at", ts),
            ("closed_source", Utf8View),
            ("closed_by_user_id", Utf8View),
            ("closed_by_team_id", Utf8View),
            ("category", Utf8View),
            ("summary", Utf8View),
        ]
        .into_iter()
        .map(|(name, ty)| Field::new(name, ty, true))
        .collect()
    });
    FIELDS.clone()
}

/// Aggregates a conversation's events into a struct of its metrics
/// (first/last assignment, first response, response pairing, the
/// last-assignment-to-response rule, message counts, opening and closing).
///
/// Correct whatever the order of its input: each conversation's events are
/// put in `(ts, event_id)` order and de-duplicated on `event_id` before the
/// one forward pass (an already-ordered input is checked in one comparison
/// per event). Use under `GROUP BY workspace_id, conversation_id`:
///
/// ```sql
/// select conversation_id,
///        conversation_metrics(ts, event_id, event_type, direction, sender_type,
///            actor_user_id, assignee_user_id, team_id, source, source_detail,
///            channel_id, category, summary)['first_response_at']
/// from events group by workspace_id, conversation_id
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConversationMetrics {
    signature: Signature,
}

impl Default for ConversationMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ConversationMetrics {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for ConversationMetrics {
    fn name(&self) -> &str {
        "conversation_metrics"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != INPUTS.len() {
            return plan_err!(
                "conversation_metrics takes {} arguments ({}), got {}",
                INPUTS.len(),
                INPUTS.join(", "),
                arg_types.len()
            );
        }
        Ok(input_fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(output_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneConversation(Conversations::default())))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(state_field(args.name))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Conversations::default()))
    }
}

/// The partial state: each conversation's events so far, as a list of structs
/// with the argument columns.
fn state_field(name: &str) -> Field {
    Field::new_list(
        format_state_name(name, "events"),
        Field::new_list_field(DataType::Struct(input_fields()), true),
        true,
    )
}

/// Strings of few distinct values, stored once; symbol 0 is NULL.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Box<str>, Sym>,
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

    fn get(&self, sym: Sym) -> Option<&str> {
        (sym != 0).then(|| self.strings[sym as usize - 1].as_ref())
    }
}

/// The events of every conversation (group) seen so far.
#[derive(Debug, Default)]
struct Conversations {
    groups: Vec<Vec<Event>>,
    strings: Interner,
    events: usize,
}

fn opt(array: &StringViewArray, row: usize) -> Option<&str> {
    array.is_valid(row).then(|| array.value(row))
}

impl Conversations {
    /// Adds the rows of `columns` (the arguments, or the children of a state
    /// struct) to their groups.
    fn ingest(
        &mut self,
        columns: &[ArrayRef],
        groups: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        if columns.len() != INPUTS.len() {
            return exec_err!(
                "conversation_metrics: expected {} columns, got {}",
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

    fn evaluate_groups(&mut self, emit_to: EmitTo) -> ArrayRef {
        let groups = self.take(emit_to);
        let mut out = Output::with_capacity(groups.len());
        for mut events in groups {
            order(&mut events);
            out.push(&metrics(&events), &self.strings);
        }
        out.finish()
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

/// Builders for the returned struct, one per field of [`output_fields`].
struct Output {
    timestamps: [TimestampMicrosecondBuilder; 6],
    strings: [StringViewBuilder; 12],
    counts: [Int64Builder; 4],
    assigned_at_opening: BooleanBuilder,
    response_time_total: Float64Builder,
}

impl Output {
    fn with_capacity(n: usize) -> Self {
        Output {
            timestamps: std::array::from_fn(|_| TimestampMicrosecondBuilder::with_capacity(n)),
            strings: std::array::from_fn(|_| StringViewBuilder::with_capacity(n)),
            counts: std::array::from_fn(|_| Int64Builder::with_capacity(n)),
            assigned_at_opening: BooleanBuilder::with_capacity(n),
            response_time_total: Float64Builder::with_capacity(n),
        }
    }

    fn push(&mut self, m: &crate::timeline::Metrics, strings: &Interner) {
        let [
            opened,
            first_assignment,
            last_assignment,
            first_response,
            last_assignee_response,
            closed,
        ] = &mut self.timestamps;
        opened.append_option(m.opened_at);
        first_assignment.append_option(m.first_assignment_at);
        last_assignment.append_option(m.last_assignment_at);
        first_response.append_option(m.first_response_at);
        last_assignee_response.append_option(m.last_assignee_response_at);
        closed.append_option(m.closed_at);
        let syms = [
            m.opened_source,
            m.opened_source_detail,
            m.opened_channel,
            m.opened_by,
            m.first_assignee,
            m.last_assignee,
            m.first_response_by,
            m.closed_source,
            m.closed_by,
            m.closed_by_team,
            m.category,
        ];
        for (sym, builder) in syms.into_iter().zip(self.strings.iter_mut()) {
            builder.append_option(strings.get(sym));
        }
        self.strings[11].append_option(m.summary.as_deref());
        let [assignments, responses, incoming, outgoing] = &mut self.counts;
        assignments.append_value(m.assignments);
        responses.append_value(m.responses);
        incoming.append_value(m.incoming_messages);
        outgoing.append_value(m.outgoing_messages);
        self.assigned_at_opening.append_value(m.assigned_at_opening);
        self.response_time_total
            .append_value(m.response_time_total as f64 / 1e6);
    }

    fn finish(mut self) -> ArrayRef {
        let mut ts = self
            .timestamps
            .iter_mut()
            .map(|b| Arc::new(b.finish().with_timezone("UTC")) as ArrayRef);
        let mut st = self
            .strings
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        let mut ct = self
            .counts
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        let next =
            |it: &mut dyn Iterator<Item = ArrayRef>| it.next().expect("one builder per field");
        let columns: Vec<ArrayRef> = vec![
            next(&mut ts),                               // opened_at
            next(&mut st),                               // opened_source
            next(&mut st),                               // opened_source_detail
            next(&mut st),                               // opened_channel_id
            next(&mut st),                               // opened_by_user_id
            Arc::new(self.assigned_at_opening.finish()), // assigned_at_opening
            next(&mut ts),                               // first_assignment_at
            next(&mut st),                               // first_assignee_id
            next(&mut ts),                               // last_assignment_at
            next(&mut st),                               // last_assignee_id
            next(&mut ct),                               // assignments
            next(&mut ts),                               // first_response_at
            next(&mut st),                               // first_response_by_user_id
            next(&mut ts),                               // last_assignee_response_at
            next(&mut ct),                               // responses
            Arc::new(self.response_time_total.finish()), // response_time_total_seconds
            next(&mut ct),                               // incoming_messages
            next(&mut ct),                               // outgoing_messages
            next(&mut ts),                               // closed_at
            next(&mut st),                               // closed_source
            next(&mut st),                               // closed_by_user_id
            next(&mut st),                               // closed_by_team_id
            next(&mut st),                               // category
            next(&mut st),                               // summary
        ];
        Arc::new(StructArray::new(output_fields(), columns, None))
    }
}

impl GroupsAccumulator for Conversations {
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
        Ok(self.evaluate_groups(emit_to))
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
struct OneConversation(Conversations);

impl Accumulator for OneConversation {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.0.ingest(values, &vec![0; n], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0
            .groups
            .resize_with(1.max(self.0.groups.len()), Vec::new);
        let mut events = self.0.groups[0].clone();
        order(&mut events);
        let mut out = Output::with_capacity(1);
        out.push(&metrics(&events), &self.0.strings);
        ScalarValue::try_from_array(&out.finish(), 0)
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

#[cfg(test)]
mod tests {
    use arrow::array::{StringViewArray, TimestampMicrosecondArray};

    use super::*;

    const MIN: i64 = 60_000_000;

    /// (minute, id, type, direction, sender, actor, assignee)
    type Row = (
        i64,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    fn columns(rows: &[Row]) -> Vec<ArrayRef> {
        let col = |f: &dyn Fn(&Row) -> Option<&'static str>| -> ArrayRef {
            Arc::new(rows.iter().map(f).collect::<StringViewArray>())
        };
        let ts = TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.0 * MIN))
            .with_timezone("UTC");
        let mut out: Vec<ArrayRef> = vec![
            Arc::new(ts),
            col(&|r| Some(r.1)),
            col(&|r| Some(r.2)),
            col(&|r| r.3),
            col(&|r| r.4),
            col(&|r| r.5),
            col(&|r| r.6),
        ];
        out.extend((0..6).map(|_| col(&|_| None)));
        out
    }

    fn field(array: &ArrayRef, name: &str) -> ArrayRef {
        array.as_struct().column_by_name(name).unwrap().clone()
    }

    /// Two conversations interleaved and shuffled in one batch, fed through
    /// a partial state and merged, come out as if each were read in order.
    #[test]
    fn groups_shuffled_input_and_merged_state() {
        let rows: Vec<Row> = vec![
            (9, "a9", "conversation_closed", None, None, None, None),
            (
                5,
                "b5",
                "message",
                Some("outgoing"),
                Some("user"),
                Some("u2"),
                None,
            ),
            (
                1,
                "a1",
                "message",
                Some("incoming"),
                Some("contact"),
                None,
                None,
            ),
            (0, "b0", "conversation_opened", None, None, None, Some("u2")),
            (0, "a0", "conversation_opened", None, None, None, None),
            (2, "a2", "assignee_changed", None, None, None, Some("u1")),
            (3, "a3", "assignee_changed", None, None, None, Some("u2")),
            (
                1,
                "b1",
                "message",
                Some("incoming"),
                Some("contact"),
                None,
                None,
            ),
            (
                4,
                "a4",
                "message",
                Some("outgoing"),
                Some("user"),
                Some("u2"),
                None,
            ),
            (
                1,
                "a1",
                "message",
                Some("incoming"),
                Some("contact"),
                None,
                None,
            ),
        ];
        let groups: Vec<usize> = rows
            .iter()
            .map(|r| usize::from(r.1.starts_with('b')))
            .collect();
        // Partial aggregation of the first half, then of the second, merged.
        let mut final_acc = Conversations::default();
        for half in [0..5, 5..10] {
            let mut partial = Conversations::default();
            partial
                .update_batch(
                    &columns(&rows[half.clone()]),
                    &groups[half.clone()],
                    None,
                    2,
                )
                .unwrap();
            let state = partial.state(EmitTo::All).unwrap();
            final_acc.merge_batch(&state, &[0, 1], 2).unwrap();
        }
        let out = final_acc.evaluate(EmitTo::All).unwrap();
        let responses = field(&out, "responses");
        assert_eq!(
            responses
                .as_primitive::<arrow::datatypes::Int64Type>()
                .values(),
            &[1, 1]
        );
        let incoming = field(&out, "incoming_messages");
        assert_eq!(
            incoming
                .as_primitive::<arrow::datatypes::Int64Type>()
                .values(),
            &[1, 1],
            "the duplicate counts once"
        );
        let last = field(&out, "last_assignee_response_at");
        let last = last.as_primitive::<TimestampMicrosecondType>();
        // a: message, assign u1, re-assign u2, u2 replies → NULL (seed 000).
        assert!(last.is_null(0));
        // b: u2 in place at opening, message at 1, u2 replies at 5 → 5 min.
        assert_eq!(last.value(1), 5 * MIN);
        let first = field(&out, "first_assignee_id");
        assert_eq!(
            first.as_string_view().iter().collect::<Vec<_>>(),
            [Some("u1"), Some("u2")]
        );
        let at_opening = field(&out, "assigned_at_opening");
        assert_eq!(
            at_opening.as_boolean().iter().collect::<Vec<_>>(),
            [Some(false), Some(true)]
        );
        let total = field(&out, "response_time_total_seconds");
        assert_eq!(
            total
                .as_primitive::<arrow::datatypes::Float64Type>()
                .values(),
            &[180.0, 240.0]
        );
    }

    #[test]
    fn filtered_rows_and_null_arguments() {
        let rows: Vec<Row> = vec![
            (0, "a0", "conversation_opened", None, None, None, None),
            (1, "a1", "message", Some("incoming"), None, None, None),
            (
                2,
                "a2",
                "message",
                Some("outgoing"),
                Some("user"),
                None,
                None,
            ),
        ];
        let mut acc = Conversations::default();
        let filter = BooleanArray::from(vec![Some(true), Some(true), None]);
        acc.update_batch(&columns(&rows), &[0, 0, 0], Some(&filter), 1)
            .unwrap();
        let out = acc.evaluate(EmitTo::All).unwrap();
        let responses = field(&out, "responses");
        assert_eq!(
            responses
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0),
            0,
            "the reply was filtered out"
        );
        assert!(field(&out, "closed_at").is_null(0));
        assert!(field(&out, "first_response_by_user_id").is_null(0));
    }

    #[test]
    fn emits_the_first_groups_and_keeps_the_rest() {
        let rows: Vec<Row> = vec![
            (0, "a0", "conversation_opened", None, None, None, None),
            (0, "b0", "conversation_opened", None, None, None, None),
            (1, "b1", "message", Some("incoming"), None, None, None),
        ];
        let mut acc = Conversations::default();
        acc.update_batch(&columns(&rows), &[0, 1, 1], None, 2)
            .unwrap();
        let first = acc.evaluate(EmitTo::First(1)).unwrap();
        assert_eq!(first.len(), 1);
        let rest = acc.evaluate(EmitTo::All).unwrap();
        let incoming = field(&rest, "incoming_messages");
        assert_eq!(
            incoming
                .as_primitive::<arrow::datatypes::Int64Type>()
                .values(),
            &[1]
        );
        assert_eq!(acc.size(), 0);
    }
}
