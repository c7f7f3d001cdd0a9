import {
  ActiveFaultRule,
  emailPattern,
  FaultRule,
  parseFaultRule,
} from './faults';
import type { Json } from './awsJson';

/** A rule the layer holds, with what is left of it. */
export interface StoredRule {
  id: string;
  rule: FaultRule;
  /** `match.email` as a regular expression, when it was written as one. */
  emailRegex?: RegExp;
  remaining: number;
  applied: number;
}

/** Whether a rule's operation fits the call: CreateAccount rules only CreateAccount. */
function operationMatches(rule: FaultRule, operation: string): boolean {
  if (rule.type === 'error') {
    return rule.operation === '*' || rule.operation === operation;
  }
  return operation === 'CreateAccount';
}

/** Whether CreateAccount's `Email` is the one the rule names (or fits its pattern). */
function emailMatches(stored: StoredRule, input: Json): boolean {
  const wanted = stored.rule.match?.email;
  if (wanted === undefined) return true;
  const email = typeof input.Email === 'string' ? input.Email : undefined;
  if (email === undefined) return false;
  if (stored.emailRegex) {
    stored.emailRegex.lastIndex = 0;
    return stored.emailRegex.test(email);
  }
  return email === wanted;
}

function matches(
  stored: StoredRule,
  operation: string,
  input: Json,
  accessKeyId: string | undefined,
): boolean {
  const { rule } = stored;
  if (!operationMatches(rule, operation)) return false;
  if (
    rule.match?.accessKeyId !== undefined &&
    rule.match.accessKeyId !== accessKeyId
  ) {
    return false;
  }
  return emailMatches(stored, input);
}

/**
 * The fault layer's rules, in insertion order. The first rule that matches
 * a call applies and uses up one of its `times`; a rule scoped to an access
 * key only ever matches calls signed with that key, so parallel tests keep
 * their faults to themselves.
 */
export class FaultRules {
  private readonly rules: StoredRule[] = [];
  private nextId = 1;

  /** Validates and appends a rule; returns its id. Throws FaultRuleError. */
  add(input: FaultRule): string {
    const rule = parseFaultRule(input);
    const id = `f${this.nextId++}`;
    this.rules.push({
      id,
      rule,
      emailRegex: rule.match?.email
        ? emailPattern(rule.match.email)
        : undefined,
      remaining: rule.sticky ? Infinity : rule.times ?? 1,
      applied: 0,
    });
    return id;
  }

  list(): ActiveFaultRule[] {
    return this.rules.map(r => ({
      id: r.id,
      rule: r.rule,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
      applied: r.applied,
    }));
  }

  /** Removes one rule; false if there was none by that id. */
  remove(id: string): boolean {
    const index = this.rules.findIndex(r => r.id === id);
    if (index < 0) return false;
    this.rules.splice(index, 1);
    return true;
  }

  /** Removes every rule; returns how many there were. */
  clear(): number {
    const count = this.rules.length;
    this.rules.length = 0;
    return count;
  }

  /** Finds the first matching rule and uses up one of its times. */
  take(
    operation: string,
    input: Json,
    accessKeyId: string | undefined,
  ): StoredRule | undefined {
    const stored = this.rules.find(
      r => r.remaining > 0 && matches(r, operation, input, accessKeyId),
    );
    if (!stored) return undefined;
    stored.remaining -= 1;
    stored.applied += 1;
    if (stored.remaining <= 0) this.remove(stored.id);
    return stored;
  }
}
