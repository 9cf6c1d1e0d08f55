import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { discoveryRoutes } from './app.ts';

/** Public keys, health, the API description and its reference page; answers unknown routes. */
export const discovery = httpFunction(functionSpec('discovery'), (a) =>
  discoveryRoutes({
    province: a.province,
    provinceName: a.provinceName,
    jwks: a.publishedKeys,
    registry: a.registry,
    storageHealthy: a.storageProbe,
  }),
);
