import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { SealsReplay } from '../common/idempotency/idempotency.interceptor';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { PageQuery } from '../common/http/paging';
import { unwrap } from '../common/use-case';
import {
  CreatedWebhookView,
  CreateWebhookInput,
  DeliveryPage,
  DeliveryQuery,
  DeliveryView,
  RedeliveredView,
  RedeliverWindowInput,
  RotatedSecretView,
  WebhookList,
  WebhookView,
} from './webhooks.dto';
import { MAX_WEBHOOKS_PER_OWNER } from './webhook.rules';
import { WebhooksService } from './webhooks.service';
import { parseInstant, stored } from '../bookings/booking.rules';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('events')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Explained({
    summary: 'Subscribe a URL to domain events',
    who: 'An admin of an organization or bureau, or a writing API key of it; others are 403.',
    changes: 'Stores the subscription and its signing secret; matching events are delivered from now on.',
    money: NO_MONEY,
    details: `Each delivery POSTs {id, type, occurredAt, data} with Yrd-Event-Id and Yrd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>. Non-2xx or no answer in 10 s is retried with exponential backoff for at least 24 h. The secret is shown only here. An organization or bureau keeps at most ${MAX_WEBHOOKS_PER_OWNER} live subscriptions (then 422 LIMIT_REACHED) and one per URL (a second: 409 DUPLICATE). A retry with the same Idempotency-Key answers the same subscription and secret: the answer is kept sealed (AES-256-GCM under MFA_ENCRYPTION_KEY) for the replay only, to the credential that sent the request (the same API key, or a session of the same person); another credential is 409 IDEMPOTENCY_CONFLICT.`,
  })
  @Authenticated()
  @SealsReplay()
  @ApiCreatedResponse({ type: CreatedWebhookView, description: 'the subscription and its signing secret (shown once)' })
  @Refuses(WebhooksService.subscribeRefusals)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateWebhookInput): Promise<CreatedWebhookView> {
    const { subscription, secret } = await this.webhooks.subscribe(actor, body.url, body.events);
    return { ...WebhookView.of(subscription), secret };
  }

  @Get()
  @Explained({
    summary: 'The webhook subscriptions of the caller’s organization or bureau',
    who: 'Any user or API key of the organization or bureau.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Secrets are never shown again.',
  })
  @Authenticated()
  @ApiOkResponse({ type: WebhookList })
  async list(@CurrentActor() actor: Actor, @Query() q: PageQuery): Promise<WebhookList> {
    const page = await this.webhooks.list(actor, q);
    return { items: page.items.map(WebhookView.of), total: page.total };
  }

  @Delete(':id')
  @Explained({
    summary: 'End a webhook subscription',
    who: 'An admin of the organization or bureau, or a writing API key of it (others 403); another group’s subscription is 404.',
    changes: 'Ends the subscription; its pending deliveries are no longer attempted.',
    money: NO_MONEY,
  })
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'ended' })
  async remove(@CurrentActor() actor: Actor, @Param('id', new IdPipe('webhook')) id: string): Promise<void> {
    await this.webhooks.unsubscribe(actor, id);
  }

  @Get(':id/deliveries')
  @Explained({
    summary: 'The delivery log of a webhook subscription',
    who: 'A user or API key of the subscribing organization or bureau; another group’s subscription is 404.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details: 'Newest event first, each with every attempt made; `status` lists only the pending, delivered or failed ones.',
  })
  @Authenticated()
  @ApiOkResponse({ type: DeliveryPage })
  async deliveries(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('webhook')) id: string,
    @Query() q: DeliveryQuery,
  ): Promise<DeliveryPage> {
    const page = await this.webhooks.deliveries(actor, id, q.limit, q.offset, q.status);
    return { items: page.items.map(DeliveryView.of), total: page.total };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @Explained({
    summary: 'Deliver an event again now',
    who: 'An admin of the subscribing organization or bureau, or a writing API key of it (others 403).',
    changes: 'Puts the delivery (delivered, pending or failed) back in line for an immediate attempt.',
    money: NO_MONEY,
  })
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: DeliveryView, description: 'the delivery, back in line' })
  @Refuses(WebhooksService.redeliverRefusals)
  async redeliver(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('webhook')) id: string,
    @Param('deliveryId', new IdPipe('delivery')) deliveryId: string,
  ): Promise<DeliveryView> {
    return DeliveryView.of(unwrap(await this.webhooks.redeliver(actor, id, deliveryId)));
  }

  @Post(':id/rotate-secret')
  @Explained({
    summary: 'Replace a webhook subscription’s signing secret',
    who: 'An admin of the subscribing organization or bureau, or a writing API key of it (others 403); another group’s subscription is 404.',
    changes: 'Stores a new secret (shown only here); the previous one still signs every delivery beside it until previousSecretValidUntil.',
    money: NO_MONEY,
    details:
      'During the overlap (WEBHOOK_SECRET_OVERLAP_HOURS, 24 h by default) Yrd-Signature carries one v1= per secret, the new one first: t=<unix seconds>,v1=<new>,v1=<previous>. A receiver accepts a delivery when any v1 matches its secret, so it switches to the new secret whenever it likes within the overlap. A second rotation within it drops the oldest secret. The person acting is notified. A retry with the same Idempotency-Key answers the same secret (sealed, as at subscription).',
  })
  @HttpCode(200)
  @Authenticated()
  @SealsReplay()
  @ApiOkResponse({ type: RotatedSecretView, description: 'the new signing secret (shown once)' })
  async rotateSecret(@CurrentActor() actor: Actor, @Param('id', new IdPipe('webhook')) id: string): Promise<RotatedSecretView> {
    return this.webhooks.rotateSecret(actor, id);
  }

  @Post(':id/redeliver')
  @Explained({
    summary: 'Deliver again the failed deliveries of a time window',
    who: 'An admin of the subscribing organization or bureau, or a writing API key of it (others 403); another group’s subscription is 404.',
    changes: `Puts back in line, for an immediate attempt, up to ${WebhooksService.REDELIVER_MAX} of the subscription’s failed deliveries made in [from, to), oldest event first.`,
    money: NO_MONEY,
    details:
      '`more: true` when failed ones are left in the window: ask again. Asking again is harmless: those put back in line are no longer failed. Delivered and pending ones are left as they are. One subscription may ask WEBHOOK_REDELIVERIES_PER_HOUR times (10 by default) in any hour, on all nodes together; beyond, 429 RATE_LIMITED with Retry-After (a replay of an Idempotency-Key does not count).',
  })
  @HttpCode(200)
  @Authenticated()
  @Refuses(WebhooksService.redeliverWindowRefusals)
  @ApiOkResponse({ type: RedeliveredView })
  async redeliverWindow(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('webhook')) id: string,
    @Body() body: RedeliverWindowInput,
  ): Promise<RedeliveredView> {
    // validated as instants (IsInstantText), stored as the database keeps them (UTC)
    return this.webhooks.redeliverFailed(actor, id, stored(parseInstant(body.from)!), stored(parseInstant(body.to)!));
  }
}
