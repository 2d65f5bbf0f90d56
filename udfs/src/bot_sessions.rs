//! `bot_sessions(..., gap_seconds)`: a conversation's messages split into
//! Heyday's "conversations" (SPEC.md §2).

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, ListArray, StringViewBuilder,
    StructArray, TimestampMicrosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, TimeUnit};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

use crate::conversation_metrics::{INPUTS, input_fields, state_field};
use crate::event_groups::{Evaluate, EventGroups, Interner, OneGroup};
use crate::timeline::{Event, sessions};

/// The fields of one session in the returned list.
pub fn session_fields() -> Fields {
    static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        [
            ("started_at", ts.clone()),
            ("ended_at", ts),
            ("messages", DataType::Int64),
            ("incoming_messages", DataType::Int64),
            ("bot_messages", DataType::Int64),
            ("agent_messages", DataType::Int64),
            ("channel_id", DataType::Utf8View),
            ("initial_wait_seconds", DataType::Float64),
            ("engaged", DataType::Boolean),
            ("answered", DataType::Boolean),
        ]
        .into_iter()
        .map(|(n, t)| Field::new(n, t, true))
        .collect()
    });
    FIELDS.clone()
}

/// Aggregates a conversation's events into the list of its bot sessions:
/// runs of messages with no silence longer than `gap_seconds` (a literal;
/// views pass `report_session_gap()`, 600 s unless `SET
/// convlake.session_gap_minutes`). Each conversation is one opening, so a
/// re-opening starts a new session. Correct whatever the input order, like
/// `conversation_metrics`, whose first 13 arguments it shares.
///
/// ```sql
/// select unnest(bot_sessions(ts, event_id, event_type, direction, sender_type,
///     actor_user_id, assignee_user_id, team_id, source, source_detail,
///     channel_id, category, summary, 600)) as s
/// from events group by workspace_id, conversation_id
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BotSessions {
    signature: Signature,
}

impl Default for BotSessions {
    fn default() -> Self {
        Self::new()
    }
}

impl BotSessions {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The gap, from the literal last argument.
fn gap_micros(args: &AccumulatorArgs) -> Result<i64> {
    let literal = args
        .exprs
        .get(INPUTS.len())
        .and_then(|e| e.downcast_ref::<Literal>());
    let seconds = match literal.map(|l| l.value().cast_to(&DataType::Float64)) {
        Some(Ok(ScalarValue::Float64(Some(s)))) if s >= 0.0 => s,
        _ => {
            return plan_err!(
                "bot_sessions: the last argument must be a non-negative number of seconds, as a literal"
            );
        }
    };
    Ok((seconds * 1e6) as i64)
}

#[derive(Debug)]
struct SessionsOf {
    gap: i64,
}

impl Evaluate for SessionsOf {
    fn evaluate(&self, groups: Vec<Vec<Event>>, strings: &Interner) -> Result<ArrayRef> {
        let all: Vec<Vec<_>> = groups
            .iter()
            .map(|events| sessions(events, self.gap))
            .collect();
        let n: usize = all.iter().map(Vec::len).sum();
        let mut started = TimestampMicrosecondBuilder::with_capacity(n);
        let mut ended = TimestampMicrosecondBuilder::with_capacity(n);
        let mut counts: [Int64Builder; 4] = std::array::from_fn(|_| Int64Builder::with_capacity(n));
        let mut channel = StringViewBuilder::with_capacity(n);
        let mut wait = Float64Builder::with_capacity(n);
        let mut engaged = BooleanBuilder::with_capacity(n);
        let mut answered = BooleanBuilder::with_capacity(n);
        for s in all.iter().flatten() {
            started.append_value(s.started_at);
            ended.append_value(s.ended_at);
            for (b, v) in counts
                .iter_mut()
                .zip([s.messages, s.incoming, s.bot, s.agent])
            {
                b.append_value(v);
            }
            channel.append_option(strings.get(s.channel));
            wait.append_option(s.initial_wait.map(|w| w as f64 / 1e6));
            engaged.append_value(s.engaged());
            answered.append_value(s.answered());
        }
        let [messages, incoming, bot, agent] = counts;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(started.finish().with_timezone("UTC")),
            Arc::new(ended.finish().with_timezone("UTC")),
            Arc::new({ messages }.finish()),
            Arc::new({ incoming }.finish()),
            Arc::new({ bot }.finish()),
            Arc::new({ agent }.finish()),
            Arc::new(channel.finish()),
            Arc::new(wait.finish()),
            Arc::new(engaged.finish()),
            Arc::new(answered.finish()),
        ];
        let values = StructArray::try_new(session_fields(), columns, None)?;
        let offsets = OffsetBuffer::from_lengths(all.iter().map(Vec::len));
        let item = Arc::new(Field::new_list_field(
            DataType::Struct(session_fields()),
            true,
        ));
        Ok(Arc::new(ListArray::try_new(
            item,
            offsets,
            Arc::new(values),
            None,
        )?))
    }
}

impl AggregateUDFImpl for BotSessions {
    fn name(&self) -> &str {
        "bot_sessions"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != INPUTS.len() + 1 {
            return plan_err!(
                "bot_sessions takes {} arguments ({}, gap_seconds), got {}",
                INPUTS.len() + 1,
                INPUTS.join(", "),
                arg_types.len()
            );
        }
        let mut types: Vec<DataType> = input_fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        types.push(DataType::Float64);
        Ok(types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(session_fields()),
            true,
        ))))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(EventGroups::new(SessionsOf {
            gap: gap_micros(&args)?,
        }))))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(state_field(args.name))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(EventGroups::new(SessionsOf {
            gap: gap_micros(&args)?,
        })))
    }
}
