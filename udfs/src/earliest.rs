//! `earliest(value, ts, event_id)`: the value of a group's first row in
//! `(ts, event_id)` order.
//!
//! It answers what `first_value(value order by ts, event_id)` answers, NULL
//! included when the first row's value is NULL (NULL `ts` or `event_id`
//! order last, as `ASC NULLS LAST` does). DataFusion 55 has a groups
//! accumulator for `first_value` of numbers only; for a string it keeps one
//! row accumulator per group and compares each row's ordering as scalar
//! values. On 10M conversations (10.0M openings) the channel of each
//! conversation's first opening took 5.2 s of aggregation time that way.
//! Here each group keeps its best `(ts, event_id)` and value as plain
//! vectors, and a row replaces them only when it comes first; on events in
//! file order that is each group's first row, the rest cost one timestamp
//! comparison.
//!
//! ```sql
//! select conversation_id, earliest(channel_id, ts, event_id) as opened_channel_id
//! from events where event_type = 'conversation_opened' group by conversation_id
//! ```

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, StringViewBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, FieldRef, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Earliest {
    signature: Signature,
}

impl Default for Earliest {
    fn default() -> Self {
        Self::new()
    }
}

impl Earliest {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

impl AggregateUDFImpl for Earliest {
    fn name(&self) -> &str {
        "earliest"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Any string value, any timestamp with a zone (as µs UTC), any string id.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let string = |t: &DataType| {
            matches!(
                t,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
            ) || matches!(t, DataType::Dictionary(_, v) if v.is_string())
        };
        match arg_types {
            [value, DataType::Timestamp(_, _) | DataType::Null, id]
                if string(value) && string(id) =>
            {
                Ok(vec![DataType::Utf8View, ts_type(), DataType::Utf8View])
            }
            _ => plan_err!(
                "earliest takes (value string, ts timestamp, event_id string), got ({})",
                arg_types
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8View)
    }

    /// The partial state is the arguments themselves: the best row so far.
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[value]", args.name),
                DataType::Utf8View,
                true,
            )),
            Arc::new(Field::new(format!("{}[ts]", args.name), ts_type(), true)),
            Arc::new(Field::new(
                format!("{}[event_id]", args.name),
                DataType::Utf8View,
                true,
            )),
        ])
    }

    /// The answer does not depend on the order rows arrive in.
    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(Groups::default())))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups::default()))
    }
}

/// `(ts, event_id)` ascending, NULLs last in each.
fn before(a: (Option<i64>, Option<&str>), b: (Option<i64>, Option<&str>)) -> bool {
    fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    nulls_last(a.0, b.0)
        .then_with(|| nulls_last(a.1, b.1))
        .is_lt()
}

/// Each group's best row so far.
#[derive(Debug, Default)]
struct Groups {
    seen: Vec<bool>,
    ts: Vec<Option<i64>>,
    event_id: Vec<Option<Box<str>>>,
    value: Vec<Option<Box<str>>>,
    string_bytes: usize,
}

impl Groups {
    /// Rows of `(value, ts, event_id)`: the arguments, or a partial state.
    fn ingest(
        &mut self,
        columns: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let [value, ts, event_id] = columns else {
            return plan_err!("earliest: expected 3 columns, got {}", columns.len());
        };
        let value = value.as_string_view();
        let ts: &TimestampMicrosecondArray = ts.as_primitive::<TimestampMicrosecondType>();
        let event_id = event_id.as_string_view();
        self.seen.resize(total_num_groups, false);
        self.ts.resize(total_num_groups, None);
        self.event_id.resize(total_num_groups, None);
        self.value.resize(total_num_groups, None);
        for (row, &group) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                continue;
            }
            let row_ts = ts.is_valid(row).then(|| ts.value(row));
            let row_id = event_id.is_valid(row).then(|| event_id.value(row));
            if self.seen[group]
                && !before(
                    (row_ts, row_id),
                    (self.ts[group], self.event_id[group].as_deref()),
                )
            {
                continue;
            }
            let row_value = value.is_valid(row).then(|| value.value(row));
            self.string_bytes -= held_bytes(&self.event_id[group], &self.value[group]);
            self.string_bytes += row_id.map_or(0, str::len) + row_value.map_or(0, str::len);
            self.seen[group] = true;
            self.ts[group] = row_ts;
            self.event_id[group] = row_id.map(Into::into);
            self.value[group] = row_value.map(Into::into);
        }
        Ok(())
    }

    fn take(&mut self, emit_to: EmitTo) -> Taken {
        emit_to.take_needed(&mut self.seen);
        let taken = (
            emit_to.take_needed(&mut self.ts),
            emit_to.take_needed(&mut self.event_id),
            emit_to.take_needed(&mut self.value),
        );
        let emitted: usize = taken
            .1
            .iter()
            .zip(&taken.2)
            .map(|(id, value)| held_bytes(id, value))
            .sum();
        self.string_bytes -= emitted;
        taken
    }
}

/// The string bytes a group's best row holds.
/// What a group's state is taken as: its rows' ts, event ids and values.
type Taken = (
    Vec<Option<i64>>,
    Vec<Option<Box<str>>>,
    Vec<Option<Box<str>>>,
);

fn held_bytes(event_id: &Option<Box<str>>, value: &Option<Box<str>>) -> usize {
    event_id.as_deref().map_or(0, str::len) + value.as_deref().map_or(0, str::len)
}

fn strings(values: &[Option<Box<str>>]) -> ArrayRef {
    let mut builder = StringViewBuilder::with_capacity(values.len());
    for v in values {
        builder.append_option(v.as_deref());
    }
    Arc::new(builder.finish())
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.ingest(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (_, _, value) = self.take(emit_to);
        Ok(strings(&value))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (ts, event_id, value) = self.take(emit_to);
        Ok(vec![
            strings(&value),
            Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
            strings(&event_id),
        ])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.ingest(values, group_indices, None, total_num_groups)
    }

    /// Each row is its own partial state; a row the filter leaves out is
    /// all NULL, which any row with a `ts` comes before.
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let Some(filter) = opt_filter else {
            return Ok(values.to_vec());
        };
        let left_out = arrow::compute::not(&arrow::compute::prep_null_mask_filter(filter))?;
        values
            .iter()
            .map(|v| Ok(arrow::compute::nullif(v, &left_out)?))
            .collect()
    }

    fn size(&self) -> usize {
        self.seen.capacity()
            + self.ts.capacity() * size_of::<Option<i64>>()
            + (self.event_id.capacity() + self.value.capacity()) * size_of::<Option<Box<str>>>()
            + self.string_bytes
    }
}

/// The same as one group, for DataFusion's row-wise paths (no GROUP BY,
/// window frames).
#[derive(Debug)]
struct OneGroup(Groups);

impl Accumulator for OneGroup {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.0.ingest(values, &vec![0; n], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8View(
            self.0.value.first().cloned().flatten().map(String::from),
        ))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.0.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let best = |v: &[Option<Box<str>>]| v.first().cloned().flatten().map(String::from);
        Ok(vec![
            ScalarValue::Utf8View(best(&self.0.value)),
            ScalarValue::TimestampMicrosecond(
                self.0.ts.first().copied().flatten(),
                Some("UTC".into()),
            ),
            ScalarValue::Utf8View(best(&self.0.event_id)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::StringViewArray;

    use super::*;

    fn rows(values: &[Option<&str>], ts: &[Option<i64>], ids: &[Option<&str>]) -> Vec<ArrayRef> {
        vec![
            Arc::new(StringViewArray::from(values.to_vec())),
            Arc::new(TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC")),
            Arc::new(StringViewArray::from(ids.to_vec())),
        ]
    }

    fn texts(array: &ArrayRef) -> Vec<Option<String>> {
        array
            .as_string_view()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    }

    #[test]
    fn first_by_ts_then_event_id_whatever_the_arrival_order() {
        // Group 0: arrives late-first; its first row is at ts 10, and of the
        // two rows at ts 10, event id "a" comes before "b".
        // Group 1: its first row (ts 5) has a NULL value, which is the answer.
        // Group 2: a NULL ts orders last.
        let batch = rows(
            &[
                Some("late"),
                Some("second"),
                Some("first"),
                None,
                Some("later"),
                Some("no ts"),
                Some("ts"),
            ],
            &[
                Some(30),
                Some(10),
                Some(10),
                Some(5),
                Some(6),
                None,
                Some(99),
            ],
            &[
                Some("c"),
                Some("b"),
                Some("a"),
                Some("x"),
                Some("y"),
                Some("p"),
                Some("q"),
            ],
        );
        let mut groups = Groups::default();
        groups
            .update_batch(&batch, &[0, 0, 0, 1, 1, 2, 2], None, 3)
            .unwrap();
        let out = groups.evaluate(EmitTo::All).unwrap();
        assert_eq!(
            texts(&out),
            [Some("first".to_string()), None, Some("ts".to_string())]
        );
    }

    #[test]
    fn partial_states_merge_to_the_same_answer() {
        // Two partitions see different rows of the same group; the merged
        // answer is the row first in (ts, event_id) order: ts 7, id "a".
        let mut left = Groups::default();
        left.update_batch(&rows(&[Some("x")], &[Some(7)], &[Some("b")]), &[0], None, 1)
            .unwrap();
        let mut right = Groups::default();
        right
            .update_batch(
                &rows(
                    &[Some("y"), Some("z")],
                    &[Some(7), Some(8)],
                    &[Some("a"), Some("0")],
                ),
                &[0, 0],
                None,
                1,
            )
            .unwrap();
        let mut merged = Groups::default();
        merged
            .merge_batch(&left.state(EmitTo::All).unwrap(), &[0], 1)
            .unwrap();
        merged
            .merge_batch(&right.state(EmitTo::All).unwrap(), &[0], 1)
            .unwrap();
        assert_eq!(
            texts(&merged.evaluate(EmitTo::All).unwrap()),
            [Some("y".to_string())]
        );
    }

    #[test]
    fn emits_the_first_groups_and_keeps_the_rest() {
        // Sorted aggregation emits finished groups early: the groups left
        // keep their rows and their numbering from 0.
        let mut groups = Groups::default();
        groups
            .update_batch(
                &rows(
                    &[Some("g0"), Some("g1"), Some("g2")],
                    &[Some(1), Some(2), Some(3)],
                    &[Some("a"), Some("b"), Some("c")],
                ),
                &[0, 1, 2],
                None,
                3,
            )
            .unwrap();
        assert_eq!(
            texts(&groups.evaluate(EmitTo::First(2)).unwrap()),
            [Some("g0".to_string()), Some("g1".to_string())]
        );
        // Only g2's row is held: "c" and "g2".
        assert_eq!(groups.string_bytes, 3);
        groups
            .update_batch(
                &rows(&[Some("g2 earlier")], &[Some(0)], &[Some("z")]),
                &[0],
                None,
                1,
            )
            .unwrap();
        // Replaced: "z" and "g2 earlier".
        assert_eq!(groups.string_bytes, 11);
        assert_eq!(
            texts(&groups.evaluate(EmitTo::All).unwrap()),
            [Some("g2 earlier".to_string())]
        );
        // Nothing left: emitted and replaced rows are not counted on (a
        // sorted aggregation emits as it goes; size() feeds memory pools).
        assert_eq!(groups.string_bytes, 0);
    }
}
