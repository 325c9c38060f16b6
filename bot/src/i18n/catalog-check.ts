// Holds every catalog to the reference (English): the same keys, each plural key in exactly the forms
// its language's plural rules have (Intl.PluralRules), and the same placeholders. i18n-catalogs.test.ts
// runs it over the shipped catalogs, so a missing or extra key fails the tests.

export type Catalog = { readonly [key: string]: string | Catalog };

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

/** `{ a: { b_one: 'x' } }` → `[['a.b_one', 'x']]` */
export function flatten(catalog: Catalog, prefix = ''): [string, string][] {
  return Object.entries(catalog).flatMap(([key, value]) =>
    typeof value === 'string' ? [[`${prefix}${key}`, value]] : flatten(value, `${prefix}${key}.`),
  );
}

interface Shape {
  /** Keys without plural forms, and plural keys by their base with the forms present. */
  plain: Map<string, string>;
  plurals: Map<string, Map<string, string>>;
}

function shapeOf(catalog: Catalog): Shape {
  const plain = new Map<string, string>();
  const plurals = new Map<string, Map<string, string>>();
  for (const [key, value] of flatten(catalog)) {
    const form = PLURAL_SUFFIX.exec(key)?.[1];
    if (!form) {
      plain.set(key, value);
      continue;
    }
    const base = key.slice(0, -form.length - 1);
    const forms = plurals.get(base) ?? new Map<string, string>();
    forms.set(form, value);
    plurals.set(base, forms);
  }
  return { plain, plurals };
}

/** The `{{name}}` and `{{name, format}}` placeholders of a text, sorted. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([\w.]+)\s*(?:,[^}]*)?\}\}/g)].map((m) => m[1] ?? '').sort();
}

/** Everything wrong with `catalog` (in `locale`) against `reference`; empty when it matches. */
export function catalogProblems(reference: Catalog, catalog: Catalog, locale: string): string[] {
  const want = shapeOf(reference);
  const have = shapeOf(catalog);
  const forms = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
  const problems: string[] = [];
  for (const [key, text] of want.plain) {
    const theirs = have.plain.get(key);
    if (theirs === undefined) problems.push(`missing key ${key}`);
    else problems.push(...placeholderProblems(key, text, theirs));
  }
  for (const key of have.plain.keys()) if (!want.plain.has(key)) problems.push(`extra key ${key}`);
  for (const [base, ours] of want.plurals) {
    const theirs = have.plurals.get(base);
    if (!theirs) {
      problems.push(`missing plural key ${base}`);
      continue;
    }
    for (const form of forms) if (!theirs.has(form)) problems.push(`missing plural form ${base}_${form}`);
    for (const form of theirs.keys())
      if (!forms.includes(form as Intl.LDMLPluralRule)) problems.push(`extra plural form ${base}_${form}`);
    const sample = ours.get('other') ?? '';
    for (const [form, text] of theirs) problems.push(...placeholderProblems(`${base}_${form}`, sample, text));
  }
  for (const base of have.plurals.keys())
    if (!want.plurals.has(base)) problems.push(`extra plural key ${base}`);
  for (const [key, text] of flatten(catalog)) if (!text.trim()) problems.push(`empty text ${key}`);
  return problems;
}

function placeholderProblems(key: string, reference: string, text: string): string[] {
  const want = placeholders(reference).join(',');
  const have = placeholders(text).join(',');
  return want === have ? [] : [`placeholders of ${key}: [${have}] instead of [${want}]`];
}
