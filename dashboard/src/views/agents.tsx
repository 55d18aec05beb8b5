import { Agent, AgentStats, api, enc, List, PRIORITIES } from '../api';
import { formatNumber, formatTime } from '../format';
import { usePoll } from '../use-poll';

const REFRESH_MS = 5000;

export function Agents() {
  const agents = usePoll(() => api<List<Agent>>('/v1/agents'), REFRESH_MS);
  const stats = usePoll(() => api<List<AgentStats>>('/v1/stats/agents'), REFRESH_MS);
  const statsOf = new Map((stats.data?.items ?? []).map((item) => [item.agentId, item]));
  const error = agents.error ?? stats.error;
  return (
    <section aria-labelledby="agents-heading">
      <h1 id="agents-heading">Agents</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {agents.data && agents.data.items.length === 0 && <p>No agent is registered.</p>}
      {agents.data && agents.data.items.length > 0 && (
        <div class="table-scroll">
          <table>
            <caption>Registered agents, refreshed every 5 s</caption>
            <thead>
              <tr>
                <th scope="col" rowSpan={2}>
                  Agent
                </th>
                <th scope="col" rowSpan={2}>
                  Capabilities
                </th>
                <th scope="colgroup" colSpan={4}>
                  Pending
                </th>
                <th scope="col" rowSpan={2} class="number">
                  Dead letters
                </th>
                <th scope="col" rowSpan={2}>
                  Last seen
                </th>
              </tr>
              <tr>
                {PRIORITIES.map((priority) => (
                  <th scope="col" key={priority} class="number">
                    {priority}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {agents.data.items.map((agent) => {
                const counts = statsOf.get(agent.id);
                return (
                  <tr key={agent.id}>
                    <th scope="row">
                      <a href={`#/agents/${enc(agent.id)}`}>{agent.id}</a>
                    </th>
                    <td>{agent.capabilities.length ? agent.capabilities.join(', ') : '—'}</td>
                    {PRIORITIES.map((priority) => (
                      <td class="number" key={priority}>
                        {counts ? formatNumber(counts.pending[priority]) : '…'}
                      </td>
                    ))}
                    <td class="number">{counts ? formatNumber(counts.deadLetters) : '…'}</td>
                    <td>{formatTime(agent.lastSeenAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
