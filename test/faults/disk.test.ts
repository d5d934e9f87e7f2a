/** The fault matrix's rows about disk (test/faults/matrix.ts), each driven as drive.ts says. */
import { driveGroup } from './drive';

driveGroup('disk');
