// @ts-check
/**
 * Introspection rules: the list and one rule's conditions and actions, when the API has
 * `/v1/rules`; a note when it answers 404 (an API without rules).
 */
import { ApiError, api } from './api.js';
import { h } from './format.js';
import { refreshed } from './shared.js';

/** @param {unknown} err */
function unavailable(err) {
  return err instanceof ApiError && err.status === 404;
}

/** @param {Record<string, unknown>} item @param {string[]} known */
function params(item, known) {
  const rest = Object.entries(item).filter(([key]) => !known.includes(key));
  return rest.length === 0
    ? '–'
    : rest.map(([key, value]) =>
        h('div', null, h('span', { class: 'muted', text: `${key}: ` }), JSON.stringify(value)),
      );
}

/**
 * @param {HTMLElement} main
 * @param {AbortSignal} signal
 */
export async function rulesView(main, signal) {
  main.replaceChildren(
    h('h1', { text: 'Introspection rules' }),
    h('p', { class: 'muted', text: 'Loading…' }),
  );
  try {
    /** @type {{ rules: Array<{ uuid: string, description: string | null, scope: string | null }> }} */
    const answer = await api('v1/rules');
    if (signal.aborted) return;
    refreshed();
    main.replaceChildren(
      h('h1', { text: 'Introspection rules' }),
      answer.rules.length === 0
        ? h('p', { class: 'muted', text: 'No rules.' })
        : h(
            'table',
            { attrs: { id: 'rules' } },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Rule', 'Description', 'Scope'].map((t) => h('th', { text: t })),
              ),
            ),
            h(
              'tbody',
              null,
              answer.rules.map((rule) =>
                h(
                  'tr',
                  { data: { uuid: rule.uuid } },
                  h(
                    'td',
                    null,
                    h('a', { class: 'mono', attrs: { href: `#/rules/${rule.uuid}` }, text: rule.uuid }),
                  ),
                  h('td', { text: rule.description ?? '' }),
                  h('td', { text: rule.scope ?? '' }),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    if (signal.aborted) return;
    main.replaceChildren(
      h('h1', { text: 'Introspection rules' }),
      unavailable(err)
        ? h('p', {
            class: 'notice',
            attrs: { id: 'rules-unavailable' },
            text: 'This API has no introspection rules (GET /v1/rules answers 404).',
          })
        : h('p', { class: 'notice bad', text: err instanceof Error ? err.message : String(err) }),
    );
  }
}

/**
 * @param {HTMLElement} main
 * @param {AbortSignal} signal
 * @param {string} uuid
 */
export async function ruleView(main, signal, uuid) {
  const back = h('p', null, h('a', { attrs: { href: '#/rules' }, text: '← Rules' }));
  main.replaceChildren(back, h('h1', { class: 'mono', text: uuid }));
  try {
    /** @type {{ uuid: string, description: string | null, scope: string | null, conditions: Array<Record<string, unknown>>, actions: Array<Record<string, unknown>> }} */
    const rule = await api(`v1/rules/${encodeURIComponent(uuid)}`);
    if (signal.aborted) return;
    refreshed();
    main.append(
      h('p', { text: rule.description ?? '' }),
      h('p', { class: 'muted', text: rule.scope ? `Scope: ${rule.scope}` : '' }),
      h(
        'section',
        { class: 'panel' },
        h('h2', { text: 'Conditions' }),
        rule.conditions.length === 0
          ? h('p', { class: 'muted', text: 'None: the rule always applies.' })
          : h(
              'table',
              null,
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Field', 'Operator', 'Multiple', 'Invert', 'Parameters'].map((t) => h('th', { text: t })),
                ),
              ),
              h(
                'tbody',
                null,
                rule.conditions.map((c) =>
                  h(
                    'tr',
                    null,
                    h('td', { class: 'mono', text: String(c.field ?? '') }),
                    h('td', { text: String(c.op ?? '') }),
                    h('td', { text: String(c.multiple ?? 'any') }),
                    h('td', { text: c.invert ? 'yes' : 'no' }),
                    h('td', null, params(c, ['field', 'op', 'multiple', 'invert'])),
                  ),
                ),
              ),
            ),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', { text: 'Actions' }),
        h(
          'table',
          null,
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Action', 'Parameters'].map((t) => h('th', { text: t })),
            ),
          ),
          h(
            'tbody',
            null,
            rule.actions.map((a) =>
              h('tr', null, h('td', { text: String(a.action ?? '') }), h('td', null, params(a, ['action']))),
            ),
          ),
        ),
      ),
      h(
        'details',
        null,
        h('summary', { text: 'As JSON' }),
        h('pre', { class: 'json', text: JSON.stringify(rule, null, 2) }),
      ),
    );
  } catch (err) {
    if (signal.aborted) return;
    main.append(
      h('p', {
        class: 'notice bad',
        text: unavailable(err)
          ? `No such rule, or no rules on this API: ${err instanceof Error ? err.message : ''}`
          : String(err instanceof Error ? err.message : err),
      }),
    );
  }
}
