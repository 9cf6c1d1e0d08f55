import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../lib/clock.ts';
import { CircuitBreaker } from '../../../lib/interop/circuit-breaker.ts';

const PEER = '310000';

/** A breaker whose circuit to PEER has just opened after `threshold` failures. */
function openBreaker(threshold = 2, openMs = 30_000) {
  const clock = fixedClock('2026-06-01T00:00:00Z');
  const breaker = new CircuitBreaker({ clock, failureThreshold: threshold, openMs });
  for (let i = 0; i < threshold; i++) breaker.permit(PEER)?.failure();
  const pauseOver = () => clock.set(new Date(clock.now().getTime() + openMs));
  return { clock, breaker, pauseOver };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and refuses permits while open', () => {
    // Prepare
    const { breaker } = openBreaker();

    // Act
    const permit = breaker.permit(PEER);

    // Assess
    expect(permit).toBeUndefined();
    expect(breaker.state(PEER)).toBe('open');
    expect(breaker.permit('320000')).toBeDefined();
  });

  it('lets exactly one trial through once the pause is over', () => {
    // Prepare
    const { breaker, pauseOver } = openBreaker();
    pauseOver();

    // Act
    const trial = breaker.permit(PEER);
    const second = breaker.permit(PEER);

    // Assess
    expect(trial).toBeDefined();
    expect(second).toBeUndefined();
    expect(breaker.state(PEER)).toBe('half-open');
  });

  it('closes the circuit when the trial succeeds', () => {
    // Prepare
    const { breaker, pauseOver } = openBreaker();
    pauseOver();

    // Act
    breaker.permit(PEER)?.success();

    // Assess
    expect(breaker.state(PEER)).toBe('closed');
    expect(breaker.permit(PEER)).toBeDefined();
  });

  it('opens the circuit again when the trial fails', () => {
    // Prepare
    const { breaker, pauseOver } = openBreaker();
    pauseOver();

    // Act
    breaker.permit(PEER)?.failure();

    // Assess
    expect(breaker.state(PEER)).toBe('open');
    expect(breaker.permit(PEER)).toBeUndefined();
  });

  it('gives a released trial its place back without counting a failure against the peer', () => {
    // Prepare: the trial ends for a local reason (the request could not be signed).
    const { breaker, pauseOver } = openBreaker();
    pauseOver();
    breaker.permit(PEER)?.release();

    // Act
    const next = breaker.permit(PEER);

    // Assess
    expect(next).toBeDefined();
    expect(breaker.state(PEER)).toBe('half-open');
    next?.success();
    expect(breaker.state(PEER)).toBe('closed');
  });

  it('counts only the first settlement of a permit, so a release in a finally is harmless', () => {
    // Prepare
    const { breaker, pauseOver } = openBreaker();
    pauseOver();
    const trial = breaker.permit(PEER);

    // Act
    trial?.failure();
    trial?.release();
    trial?.success();

    // Assess
    expect(breaker.state(PEER)).toBe('open');
  });

  it('frees the place of a trial that is never settled once the pause has passed again', () => {
    // Prepare: a trial permit lost by its caller.
    const { breaker, pauseOver } = openBreaker();
    pauseOver();
    expect(breaker.permit(PEER)).toBeDefined();
    expect(breaker.permit(PEER)).toBeUndefined();

    // Act
    pauseOver();

    // Assess
    expect(breaker.permit(PEER)).toBeDefined();
  });

  it('lets a stale trial settle without freeing the place of the trial after it', () => {
    // Prepare
    const { breaker, pauseOver } = openBreaker(1);
    pauseOver();
    const stale = breaker.permit(PEER);
    pauseOver();
    const current = breaker.permit(PEER);

    // Act
    stale?.release();

    // Assess
    expect(current).toBeDefined();
    expect(breaker.permit(PEER)).toBeUndefined();
  });

  it('resets the failure count on a success, so failures must be consecutive', () => {
    // Prepare
    const clock = fixedClock('2026-06-01T00:00:00Z');
    const breaker = new CircuitBreaker({ clock, failureThreshold: 2 });
    breaker.permit(PEER)?.failure();
    breaker.permit(PEER)?.success();

    // Act
    breaker.permit(PEER)?.failure();

    // Assess
    expect(breaker.state(PEER)).toBe('closed');
  });
});
