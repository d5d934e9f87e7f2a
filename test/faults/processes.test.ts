/** The fault matrix's rows about processes (test/faults/matrix.ts), each driven as drive.ts says. */
import { driveGroup } from './drive';

driveGroup('processes');
