// Loaded before every test file (see tools/run-tests.mjs): makes the backend
// named by TORCHLET_BACKEND (default js) the current one, so the same suite
// runs on each backend.
import { setBackend } from '../src/index.js';

await setBackend(process.env.TORCHLET_BACKEND ?? 'js');
