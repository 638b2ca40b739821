/**
 * The behaviour template with what synthesis already knows decided: props given as plain values
 * (not tokens) and, in a stack with an explicit environment, the region and account.
 * - Known parameters are written in as values and leave Parameters; an Fn::Sub left with nothing
 *   to substitute becomes its string.
 * - A condition whose every input is known is evaluated: the synthesized template holds neither
 *   the resources it leaves out nor a comparison of two constants (which CloudFormation accepts
 *   but cfn-lint reports, W8003).
 * Whatever depends on a token, or on an environment-agnostic stack's region, stays a parameter or
 * a condition that CloudFormation decides at deploy time.
 */

type Json = Record<string, unknown>;

export interface Known {
  /** CloudFormation parameter -> its value as CloudFormation would pass it (a string). */
  parameters: Record<string, string>;
  /** Pseudo parameters known at synthesis (AWS::Region, AWS::AccountId, AWS::Partition). */
  pseudo: Record<string, string>;
}

export interface Template {
  Parameters?: Record<string, unknown>;
  Conditions?: Json;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Json; [attribute: string]: unknown }>;
  Outputs?: Json;
  [section: string]: unknown;
}

const UNKNOWN = Symbol('unknown');
type Value = string | string[] | typeof UNKNOWN;
type Truth = boolean | typeof UNKNOWN;

const NO_VALUE = { Ref: 'AWS::NoValue' };

export function specialize(source: Template, known: Known): Template {
  const template = structuredClone(source);
  const definitions = (template.Conditions ?? {}) as Json;
  const decided = new Map<string, Truth>();

  const value = (node: unknown): Value => {
    if (typeof node === 'string') return node;
    if (typeof node === 'number') return String(node);
    if (!node || typeof node !== 'object' || Array.isArray(node)) return UNKNOWN;
    const [[fn, arg]] = Object.entries(node as Json);
    if (fn === 'Ref') return known.parameters[arg as string] ?? known.pseudo[arg as string] ?? UNKNOWN;
    if (fn === 'Fn::Sub') {
      const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Json];
      let unknown = false;
      const out = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
        if (name.startsWith('!')) return `\${${name.slice(1)}}`;
        const v = name in variables ? value(variables[name]) : (known.parameters[name] ?? known.pseudo[name] ?? UNKNOWN);
        if (typeof v !== 'string') unknown = true;
        return typeof v === 'string' ? v : whole;
      });
      return unknown ? UNKNOWN : out;
    }
    if (fn === 'Fn::Split') {
      const [separator, text] = arg as [string, unknown];
      const v = value(text);
      return typeof v === 'string' ? v.split(separator) : UNKNOWN;
    }
    if (fn === 'Fn::Select') {
      const [index, list] = arg as [number | string, unknown];
      const v = Array.isArray(list) ? list.map(value) : value(list);
      if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) return UNKNOWN;
      const selected = v[Number(index)];
      if (selected === undefined) throw new Error(`Fn::Select ${index} past the end of ${JSON.stringify(v)}`);
      return selected as string;
    }
    if (fn === 'Fn::Join') {
      const [separator, list] = arg as [string, unknown];
      const v = Array.isArray(list) ? list.map(value) : value(list);
      if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) return UNKNOWN;
      return v.join(separator);
    }
    return UNKNOWN;
  };

  const truth = (node: unknown): Truth => {
    const [[fn, arg]] = Object.entries(node as Json);
    if (fn === 'Condition') return condition(arg as string);
    if (fn === 'Fn::Equals') {
      const [a, b] = (arg as unknown[]).map(value);
      return typeof a === 'string' && typeof b === 'string' ? a === b : UNKNOWN;
    }
    if (fn === 'Fn::Not') {
      const t = truth((arg as unknown[])[0]);
      return t === UNKNOWN ? UNKNOWN : !t;
    }
    if (fn === 'Fn::And' || fn === 'Fn::Or') {
      const all = (arg as unknown[]).map(truth);
      // And is decided by a false operand, Or by a true one.
      const decisive = fn !== 'Fn::And';
      if (all.includes(decisive)) return decisive;
      return all.includes(UNKNOWN) ? UNKNOWN : !decisive;
    }
    return UNKNOWN;
  };

  const condition = (name: string): Truth => {
    if (!(name in definitions)) throw new Error(`no condition ${name}`);
    if (!decided.has(name)) decided.set(name, truth(definitions[name]));
    return decided.get(name) as Truth;
  };
  for (const name of Object.keys(definitions)) condition(name);

  /**
   * The condition an undecided one amounts to: an And/Or left with one operand that is another
   * condition is that condition (kept once: CloudFormation validation flags equivalent conditions).
   */
  const same = (name: string): string => {
    const [[fn, arg]] = Object.entries(definitions[name] as Json);
    if (fn !== 'Fn::And' && fn !== 'Fn::Or') return name;
    const left = (arg as unknown[]).filter((a) => truth(a) === UNKNOWN);
    const only = left.length === 1 ? (left[0] as Json).Condition : undefined;
    return typeof only === 'string' ? same(only) : name;
  };

  /** An undecided condition without its decided parts; known sides of a comparison as literals. */
  const residual = (node: unknown): unknown => {
    const [[fn, arg]] = Object.entries(node as Json);
    if (fn === 'Condition') return { Condition: same(arg as string) };
    if (fn === 'Fn::Equals') {
      return { 'Fn::Equals': (arg as unknown[]).map((side) => (typeof value(side) === 'string' ? value(side) : side)) };
    }
    if (fn === 'Fn::Not') return { 'Fn::Not': [residual((arg as unknown[])[0])] };
    if (fn === 'Fn::And' || fn === 'Fn::Or') {
      const left = (arg as unknown[]).filter((a) => truth(a) === UNKNOWN).map(residual);
      // One operand left (not a condition: see same()) is a condition function by itself.
      return left.length === 1 ? left[0] : { [fn]: left };
    }
    return node;
  };

  /** Fn::If decided where known; inside a resource under condition `within`, that condition is true. */
  const rewrite = (node: unknown, within?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, within)).filter((n) => !isNoValue(n));
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    const branches = obj['Fn::If'];
    if (Object.keys(obj).length === 1 && Array.isArray(branches)) {
      const [name, yes, no] = branches as [string, unknown, unknown];
      const t = condition(name);
      if (t !== UNKNOWN) return rewrite(t ? yes : no, within);
      if (same(name) === within) return rewrite(yes, within);
      return { 'Fn::If': [same(name), rewrite(yes, within), rewrite(no, within)] };
    }
    return Object.fromEntries(
      Object.entries(obj)
        .map(([k, v]) => [k, rewrite(v, within)] as const)
        .filter(([, v]) => !isNoValue(v)),
    );
  };

  const declared = (template.Parameters ?? {}) as Record<string, { Type?: string }>;
  /** A known parameter as its value: a Number parameter's Ref as a number, as the property expects. */
  const substitute = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(substitute);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Ref' && typeof obj.Ref === 'string' && obj.Ref in known.parameters) {
      const v = known.parameters[obj.Ref];
      return declared[obj.Ref]?.Type === 'Number' ? Number(v) : v;
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub') {
      const [text, variables] = (Array.isArray(obj['Fn::Sub']) ? obj['Fn::Sub'] : [obj['Fn::Sub'], undefined]) as [
        string,
        Json | undefined,
      ];
      const vars = variables ? (substitute(variables) as Json) : undefined;
      const out = text.replace(/\$\{([^}!][^}]*)\}/g, (whole, name: string) => {
        const v = vars && name in vars ? vars[name] : known.parameters[name];
        return typeof v === 'string' ? v.replace(/\$\{/g, '${!') : whole;
      });
      const left = vars ? Object.fromEntries(Object.entries(vars).filter(([name]) => out.includes(`\${${name}}`))) : undefined;
      if (!/\$\{[^!]/.test(out)) return out.replace(/\$\{!/g, '${');
      return { 'Fn::Sub': left && Object.keys(left).length > 0 ? [out, left] : out };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, substitute(v)]));
  };

  const resources: Template['Resources'] = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const t = resource.Condition === undefined ? true : condition(resource.Condition);
    if (t === false) continue;
    const { Condition, ...rest } = resource;
    const within = t === UNKNOWN ? same(Condition as string) : undefined;
    resources[id] = { ...(substitute(rewrite(rest, within)) as typeof resource), ...(within ? { Condition: within } : {}) };
  }
  const conditions = Object.fromEntries(
    Object.keys(definitions)
      .filter((name) => decided.get(name) === UNKNOWN && same(name) === name)
      .map((name) => [name, residual(definitions[name])]),
  );
  const dangling = referencesTo(
    resources,
    Object.keys(template.Resources).filter((id) => !(id in resources)),
  );
  if (dangling.length > 0) throw new Error(`resources left out are still referenced: ${dangling.join(', ')}`);
  const parameters = Object.fromEntries(Object.entries(declared).filter(([name]) => !(name in known.parameters)));
  // The outputs are the construct's properties; the parameter groups name parameters no longer there.
  const { Outputs: _, Metadata: __, ...sections } = template;
  return { ...sections, Parameters: parameters, Conditions: substitute(conditions) as Json, Resources: resources };
}

function isNoValue(node: unknown): boolean {
  return JSON.stringify(node) === JSON.stringify(NO_VALUE);
}

/** The ids of `ids` that something under `node` still names (Ref, Fn::GetAtt, Fn::Sub, DependsOn). */
function referencesTo(node: unknown, ids: string[]): string[] {
  const found = new Set<string>();
  const walk = (n: unknown, key?: string): void => {
    if (typeof n === 'string') {
      if ((key === 'Ref' || key === 'DependsOn') && ids.includes(n)) found.add(n);
      if (key === 'Fn::Sub') for (const m of n.matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) if (ids.includes(m[1])) found.add(m[1]);
    } else if (Array.isArray(n)) {
      if (key === 'Fn::GetAtt' && ids.includes(String(n[0]))) found.add(String(n[0]));
      for (const v of n) walk(v, key === 'DependsOn' || key === 'Fn::Sub' ? key : undefined);
    } else if (n && typeof n === 'object') for (const [k, v] of Object.entries(n as Json)) walk(v, k);
  };
  walk(node);
  return [...found];
}
