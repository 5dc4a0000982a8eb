/** The local AWS IoT rules engine: publish a device message, and the declared topic rules route it. */
export { LocalIotRules, topicRulesOf, UnsupportedRuleActionError, type IotRuleStats, type LocalTopicRule, type RuleAction, type RuleOutcome } from './topic-rules';
export { parseRuleSql, RuleSqlEvaluationError, type RuleStatement } from './rule-sql';
export { compileExpression, compileTemplate, UnsupportedRuleExpressionError, type MessageContext } from './rule-expressions';
export { matchesTopicFilter } from './topic-filter';
