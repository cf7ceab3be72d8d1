import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, Roles, type Principal } from '#identity';
import {
  AllowWitnessDto,
  PushOutcomeView,
  RetireWitnessDto,
  SetQuorumDto,
  WitnessChangeView,
  WitnessesView,
  WitnessView,
} from './witness-operator.dto.js';
import { WitnessPusher } from './witness-pusher.js';
import { WitnessRegistry } from './witness-registry.js';

/** Operators allow-list witnesses at run time; auditors may read the list and its history. */
@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/ledger/witnesses')
export class WitnessOperatorController {
  constructor(
    private readonly registry: WitnessRegistry,
    private readonly pusher: WitnessPusher,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List the witnesses and how each co-signs our checkpoints',
    description:
      'Every witness ever allow-listed, with who allowed it and why, its last cosignature, its last ' +
      'refusal (a refusal may mean our log was rewritten: `refusing` is true until it co-signs again) ' +
      'and its lag in entries behind our newest checkpoint; and the quorum that makes a checkpoint final.',
  })
  @ApiOkResponse({ type: WitnessesView })
  async list(): Promise<WitnessesView> {
    const [policy, witnesses] = await Promise.all([this.registry.policy(), this.registry.list()]);
    return { quorum: policy.quorum, witnesses };
  }

  @Post()
  @Roles('operator')
  @ApiOperation({
    summary: 'Allow-list a witness',
    description:
      'Takes effect at once in every API process (no restart): its cosignature/v1 cosignatures count ' +
      'toward the quorum, and with a URL the newest checkpoint is pushed to it over C2SP tlog-witness. ' +
      'Recorded with who and why.',
  })
  @ApiCreatedResponse({ type: WitnessView })
  @ApiProblems({ 400: ['invalid-witness-key', 'invalid-witness-url'], 409: ['witness-name-taken'] })
  async allow(@Body() body: AllowWitnessDto, @CurrentPrincipal() principal: Principal): Promise<WitnessView> {
    const witness = await this.registry.allow(body, principal.accountId);
    return (await this.registry.list()).find((w) => w.active && w.name === witness.name)!;
  }

  @Post('retire')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({
    summary: 'Take a witness off the allow-list',
    description:
      'Its cosignatures stop counting toward the quorum of new checkpoints (final ones stay final). ' +
      'Refused while the quorum would become unreachable: lower it first. Recorded with who and why.',
  })
  @ApiOkResponse({ type: WitnessesView })
  @ApiProblems({ 404: ['not-found'], 409: ['quorum-unreachable'] })
  async retire(
    @Body() body: RetireWitnessDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WitnessesView> {
    await this.registry.retire(body.name, body.reason, principal.accountId);
    return this.list();
  }

  @Put('quorum')
  @Roles('operator')
  @ApiOperation({
    summary: 'Set how many witness cosignatures make a checkpoint final',
    description: 'At most the number of active witnesses. Recorded with who and why.',
  })
  @ApiOkResponse({ type: WitnessesView })
  @ApiProblems({ 409: ['quorum-unreachable'] })
  async setQuorum(
    @Body() body: SetQuorumDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WitnessesView> {
    await this.registry.setQuorum(body.quorum, body.reason, principal.accountId);
    return this.list();
  }

  @Get('changes')
  @ApiOperation({
    summary: 'List the recorded changes to the witness allow-list and quorum',
    description: 'Who allowed or retired which witness, or set the quorum, when and why; newest first.',
  })
  @ApiOkResponse({ type: [WitnessChangeView] })
  changes(): Promise<WitnessChangeView[]> {
    return this.registry.changes();
  }

  @Post('push')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({
    summary: 'Push the newest checkpoint to the witnesses now',
    description:
      'What the periodic job does: sends the newest checkpoint with a consistency proof to each ' +
      'witness with a URL that has not co-signed it, and answers how each push ended.',
  })
  @ApiOkResponse({ type: [PushOutcomeView] })
  push(): Promise<PushOutcomeView[]> {
    return this.pusher.pushAll();
  }
}
