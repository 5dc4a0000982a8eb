import type { IndexTemplateApi } from '../../../../lib/sinks/opensearch';
import { ensureIndexTemplate, IndexTemplateNotAcknowledgedError } from '../../../../lib/sinks/opensearch';
import { telemetryIndexTemplate } from '../../../../lib/sinks/opensearch/telemetry';

/** A client whose PUTs answer with the given results, in order (the last one repeats). */
function templateClient(...answers: Array<{ acknowledged: boolean } | Error>) {
  let calls = 0;
  const putIndexTemplate = jest.fn((_params: { name: string; body: unknown }): Promise<{ body: { acknowledged: boolean }; statusCode: number }> => {
    const answer = answers[Math.min(calls++, answers.length - 1)]!;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve({ body: answer, statusCode: 200 });
  });
  return { client: { indices: { putIndexTemplate } } as unknown as IndexTemplateApi, putIndexTemplate };
}

describe('ensureIndexTemplate', () => {
  const body = telemetryIndexTemplate('t');

  test('puts the template once per client and name, however many callers ask', async () => {
    const { client, putIndexTemplate } = templateClient({ acknowledged: true });
    await Promise.all([ensureIndexTemplate(client, 't-template', body), ensureIndexTemplate(client, 't-template', body)]);
    await ensureIndexTemplate(client, 't-template', body);
    expect(putIndexTemplate).toHaveBeenCalledTimes(1);
    expect(putIndexTemplate).toHaveBeenCalledWith({ name: 't-template', body });

    await ensureIndexTemplate(client, 'other', body);
    expect(putIndexTemplate).toHaveBeenCalledTimes(2);
    const second = templateClient({ acknowledged: true });
    await ensureIndexTemplate(second.client, 't-template', body);
    expect(second.putIndexTemplate).toHaveBeenCalledTimes(1);
  });

  test('forgets a failed attempt, so the next call tries again', async () => {
    const { client, putIndexTemplate } = templateClient(new Error('connect ECONNREFUSED'), { acknowledged: true });
    await expect(ensureIndexTemplate(client, 'n', body)).rejects.toThrow('ECONNREFUSED');
    await ensureIndexTemplate(client, 'n', body);
    await ensureIndexTemplate(client, 'n', body);
    expect(putIndexTemplate).toHaveBeenCalledTimes(2);
  });

  test('an answer without acknowledged: true is a failure', async () => {
    const { client, putIndexTemplate } = templateClient({ acknowledged: false }, { acknowledged: true });
    await expect(ensureIndexTemplate(client, 'n', body)).rejects.toBeInstanceOf(IndexTemplateNotAcknowledgedError);
    await ensureIndexTemplate(client, 'n', body);
    expect(putIndexTemplate).toHaveBeenCalledTimes(2);
  });
});
