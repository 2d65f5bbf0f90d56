//! `conversation_metrics(...)`: every ordered per-conversation metric of
//! SPEC.md §2 in one pass over a conversation's events.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringViewBuilder, StructArray,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, TimeUnit};
use datafusion::common::plan_err;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility,
};

use crate::event_groups::{Evaluate, EventGroups, Interner, OneGroup};
use crate::timeline::{Event, metrics};

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

pub(crate) fn input_fields() -> Fields {
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
            ("first_incoming_at", ts.clone()),
            ("pickup_at", ts.clone()),
            ("last_message_at", ts.clone()),
            ("last_message_incoming", Boolean),
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
        Ok(Box::new(OneGroup(EventGroups::new(MetricsOf))))
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
        Ok(Box::new(EventGroups::new(MetricsOf)))
    }
}

/// The partial state: each conversation's events so far, as a list of structs
/// with the argument columns.
pub(crate) fn state_field(name: &str) -> Field {
    Field::new_list(
        format_state_name(name, "events"),
        Field::new_list_field(DataType::Struct(input_fields()), true),
        true,
    )
}

/// Builders for the returned struct, one per field of [`output_fields`].
struct Output {
    timestamps: [TimestampMicrosecondBuilder; 9],
    strings: [StringViewBuilder; 12],
    counts: [Int64Builder; 4],
    assigned_at_opening: BooleanBuilder,
    last_message_incoming: BooleanBuilder,
    response_time_total: Float64Builder,
}

impl Output {
    fn with_capacity(n: usize) -> Self {
        Output {
            timestamps: std::array::from_fn(|_| TimestampMicrosecondBuilder::with_capacity(n)),
            strings: std::array::from_fn(|_| StringViewBuilder::with_capacity(n)),
            counts: std::array::from_fn(|_| Int64Builder::with_capacity(n)),
            assigned_at_opening: BooleanBuilder::with_capacity(n),
            last_message_incoming: BooleanBuilder::with_capacity(n),
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
            first_incoming,
            pickup,
            last_message,
            closed,
        ] = &mut self.timestamps;
        opened.append_option(m.opened_at);
        first_assignment.append_option(m.first_assignment_at);
        last_assignment.append_option(m.last_assignment_at);
        first_response.append_option(m.first_response_at);
        last_assignee_response.append_option(m.last_assignee_response_at);
        first_incoming.append_option(m.first_incoming_at);
        pickup.append_option(m.pickup_at);
        last_message.append_option(m.last_message_at);
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
        self.last_message_incoming
            .append_value(m.last_message_incoming);
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
            next(&mut ts),                                 // opened_at
            next(&mut st),                                 // opened_source
            next(&mut st),                                 // opened_source_detail
            next(&mut st),                                 // opened_channel_id
            next(&mut st),                                 // opened_by_user_id
            Arc::new(self.assigned_at_opening.finish()),   // assigned_at_opening
            next(&mut ts),                                 // first_assignment_at
            next(&mut st),                                 // first_assignee_id
            next(&mut ts),                                 // last_assignment_at
            next(&mut st),                                 // last_assignee_id
            next(&mut ct),                                 // assignments
            next(&mut ts),                                 // first_response_at
            next(&mut st),                                 // first_response_by_user_id
            next(&mut ts),                                 // last_assignee_response_at
            next(&mut ct),                                 // responses
            Arc::new(self.response_time_total.finish()),   // response_time_total_seconds
            next(&mut ct),                                 // incoming_messages
            next(&mut ct),                                 // outgoing_messages
            next(&mut ts),                                 // first_incoming_at
            next(&mut ts),                                 // pickup_at
            next(&mut ts),                                 // last_message_at
            Arc::new(self.last_message_incoming.finish()), // last_message_incoming
            next(&mut ts),                                 // closed_at
            next(&mut st),                                 // closed_source
            next(&mut st),                                 // closed_by_user_id
            next(&mut st),                                 // closed_by_team_id
            next(&mut st),                                 // category
            next(&mut st),                                 // summary
        ];
        Arc::new(StructArray::new(output_fields(), columns, None))
    }
}

/// Evaluates [`Metrics`](crate::timeline::Metrics) for each conversation.
#[derive(Debug, Default)]
pub(crate) struct MetricsOf;

impl Evaluate for MetricsOf {
    fn evaluate(&self, groups: Vec<Vec<Event>>, strings: &Interner) -> Result<ArrayRef> {
        let mut out = Output::with_capacity(groups.len());
        for events in &groups {
            out.push(&metrics(events), strings);
        }
        Ok(out.finish())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray, BooleanArray};
    use arrow::array::{StringViewArray, TimestampMicrosecondArray};
    use arrow::datatypes::TimestampMicrosecondType;
    use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

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
        let mut final_acc = EventGroups::new(MetricsOf);
        for half in [0..5, 5..10] {
            let mut partial = EventGroups::new(MetricsOf);
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
        let mut acc = EventGroups::new(MetricsOf);
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
        let mut acc = EventGroups::new(MetricsOf);
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
