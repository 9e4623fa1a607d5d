import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { Refuses } from '../common/http/answers';
import { IdPipe } from '../common/http/id.pipe';
import { unwrap } from '../common/use-case';
import {
  CreatedWebhookView,
  CreateWebhookInput,
  DeliveryPage,
  DeliveryQuery,
  DeliveryView,
  WebhookList,
  WebhookView,
} from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('events')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Authenticated()
  @ApiOperation({
    summary: 'Subscribe a URL to domain events',
    description:
      'For the caller’s organization or bureau (an admin, or a writing API key). Each delivery POSTs {id, type, occurredAt, data} ' +
      'with Yrd-Event-Id and Yrd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>. Non-2xx or no answer ' +
      'in 10 s is retried with exponential backoff for at least 24 h. The secret is shown only here.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookView, description: 'the subscription and its signing secret (shown once)' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateWebhookInput): Promise<CreatedWebhookView> {
    const { subscription, secret } = await this.webhooks.subscribe(actor, body.url, body.events);
    return { ...WebhookView.of(subscription), secret };
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The subscriptions of the caller’s organization or bureau', description: 'Secrets are never shown again.' })
  @ApiOkResponse({ type: WebhookList })
  async list(@CurrentActor() actor: Actor): Promise<WebhookList> {
    const items = await this.webhooks.list(actor);
    return { items: items.map(WebhookView.of), total: items.length };
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    summary: 'End a subscription',
    description: 'Its pending deliveries are no longer attempted. Another group’s subscription is 404.',
  })
  @ApiNoContentResponse({ description: 'ended' })
  async remove(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string): Promise<void> {
    await this.webhooks.unsubscribe(actor, id);
  }

  @Get(':id/deliveries')
  @Authenticated()
  @ApiOperation({ summary: 'The delivery log of a subscription', description: 'Newest event first, each with every attempt made.' })
  @ApiOkResponse({ type: DeliveryPage })
  async deliveries(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: string, @Query() q: DeliveryQuery): Promise<DeliveryPage> {
    const page = await this.webhooks.deliveries(actor, id, q.limit, q.offset);
    return { items: page.items.map(DeliveryView.of), total: page.total };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Deliver an event again now', description: 'Any delivery of the subscription, delivered, pending or failed.' })
  @ApiOkResponse({ type: DeliveryView, description: 'the delivery, back in line' })
  @Refuses(WebhooksService.redeliverRefusals)
  async redeliver(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: string,
    @Param('deliveryId', IdPipe) deliveryId: string,
  ): Promise<DeliveryView> {
    return DeliveryView.of(unwrap(await this.webhooks.redeliver(actor, id, deliveryId)));
  }
}
