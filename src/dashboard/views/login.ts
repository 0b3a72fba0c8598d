import { html } from 'hono/html';
import { type Html, layout, type PageContext } from './layout.js';

export function loginPage(ctx: PageContext, next: string, failed: boolean): Html {
  const body = html`<div class="card login">
<h1>Sign in</h1>
<p class="muted">This dashboard is protected by a token (JOBWRIGHT_DASHBOARD_TOKEN).</p>
${failed ? html`<div class="warning" role="alert">That token is not right.</div>` : ''}
<form method="post" action="${ctx.base}/login">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<input type="hidden" name="next" value="${next}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit" class="primary">Sign in</button>
</form>
</div>`;
  return layout(ctx, 'login', 'Sign in', body);
}
