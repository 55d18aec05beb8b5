// Preloaded (node -r) into the app when it is profiled. (Not SIGUSR2: Nest's shutdown hooks listen to it.) The first SIGWINCH starts V8's CPU profiler (the one
// `node --cpu-prof` uses), the second writes the profile to $BENCH_CPU_PROFILE and exits, so the profile covers
// the measured load only, not start-up and warm-up.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');

let session;
process.on('SIGWINCH', () => {
  if (!session) {
    session = new Session();
    session.connect();
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')),
    );
    return;
  }
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(process.env.BENCH_CPU_PROFILE, JSON.stringify(result.profile));
    process.exit(0);
  });
});
